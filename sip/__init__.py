"""SIP test harness against a local Kamailio test PBX (imports provisioning and contracts)."""
