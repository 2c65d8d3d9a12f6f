"""The join of a run: replication 0's lifecycle applied to an inventory, then the fleet checked on a PBX.

`plan` turns the simulation's plain lifecycle into dated steps; `apply` makes each step through the
`provisioning` package at its simulated instant (actor `sim`); `outputs` writes what the run directory
shows of the inventory; `pbxstage` starts Kamailio from it and checks every account and tenant.
"""
