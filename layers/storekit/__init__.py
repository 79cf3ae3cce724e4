"""storekit: the common layer shared by every storeflow automation.

Canonical models, platform adapters and clients, DynamoDB repositories, message
channels, settings and typed errors. Nothing here creates an AWS client or reads
the environment at import time.
"""
