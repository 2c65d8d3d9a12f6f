"""SimPy discrete-event model of a Centrex fleet (imports contracts)."""
