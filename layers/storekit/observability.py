"""Powertools Logger, Metrics and Tracer: one of each for the whole app (set up in app.py).

Log keyword fields, never payloads, emails, phones, addresses or secrets.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "storeflow"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=SERVICE, service=SERVICE)
tracer = Tracer(service=SERVICE, auto_patch=False)
