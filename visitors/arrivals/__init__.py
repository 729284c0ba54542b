"""The day of the visit: arrivals at the door (a record per check-in, undone or not), walk-ins,
check-in codes (text and QR) and the e-mail that tells the hosts someone awaited has arrived."""
