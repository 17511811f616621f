"""slicer: every reply from the broker cut into slices of 16 ± 8 bytes, 1 ms apart, for the window —
a path that fragments packets, which exercises each client's handling of partial reads (a reply of a
few hundred bytes arrives in a dozen pieces over a dozen milliseconds)."""

from chaos.nemesis.network import ToxicFault


class Slicer(ToxicFault):
    name = "slicer"
    description = "broker replies cut into 16-byte slices, 1 ms apart"
    toxic_type = "slicer"
    attributes = {"average_size": 16, "size_variation": 8, "delay": 1000}  # bytes, bytes, microseconds
