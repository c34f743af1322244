"""One module per tab; each `build(...)` lays out its tab inside the open Blocks and wires its events."""
