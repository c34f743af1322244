"""Byte units, defined once. MB is the binary megabyte (MiB), as the HEYGEM_MAX_*_MB settings count."""

MB = 1024 * 1024
GIB = 1024**3
