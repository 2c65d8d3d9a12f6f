"""Inventory: sites, equipment, SIP accounts, SDA numbers and portability mandates (imports contracts)."""
