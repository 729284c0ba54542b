"""Attendee lists read from spreadsheets (CSV and XLSX): columns, rows, matching to people on
file, and the services that preview and save them (visitors.imports.services)."""
