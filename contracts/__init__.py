"""The domain kernel: calendars, contract profiles, SLA math, billing, channels and traffic.

Pure: imports none of the other packages of centrex-lab.
"""
