"""Lip-sync quality evaluation: generate from a clip's own audio and compare with the real video."""
