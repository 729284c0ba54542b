"""The staff pages: calendar, event page, delegations, visit planner, invitation console,
printables, check-in.

Server-rendered Django templates (``templates/staff/``); each view parses its input, calls a
service or a queryset, and renders. URLs are in ``desk.urls`` under the ``staff`` namespace.
"""
