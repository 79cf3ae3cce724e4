"""HubSpot CRM sync through HubSpot's official Python client (`hubspot-api-client`).

`hubspot_calls` renders a SyncToHubSpot action into the exact calls (no import of the client: the
preview and dry-run need neither it nor the token); `HubSpotChannel.send` makes them with the
client, which is imported only there (it is large: the cold import of app.py must not carry it).

- contact: POST /crm/v3/objects/contacts/batch/upsert, `idProperty` email: created or updated.
- deal: POST /crm/v3/objects/deals/batch/upsert, `idProperty` the unique deal property the store
  names (the merchant creates it in HubSpot once, README "HubSpot").
- association: PUT /crm/v4/objects/deals/{deal}/associations/default/contacts/{contact}.

Every call is an upsert or a PUT: a push retried after a fault changes nothing twice. Answers map
to storekit.errors like every other client: 429 -> Throttled (Retry-After), 5xx and network
faults -> TransientError, other 4xx -> PermanentError (with HubSpot's error category, never the
body, which echoes what was sent).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from storekit.actions import SyncToHubSpot
from storekit.clients.http import TIMEOUT, retry_after_seconds
from storekit.errors import PermanentError, Throttled, TransientError
from storekit.outbound import HubSpotCall, HubSpotSync

CONTACTS_UPSERT = "/crm/v3/objects/contacts/batch/upsert"
DEALS_UPSERT = "/crm/v3/objects/deals/batch/upsert"
ASSOCIATE = "/crm/v4/objects/deals/{deal}/associations/default/contacts/{contact}"

#: the urllib3 pool the client sends through; None = the client's own. A module attribute so local
#: tests can stand in a recorded transport (like webhook.resolve_host stands in for DNS)
TRANSPORT: Any = None

_CATEGORY = re.compile(r"^[A-Z][A-Z_]{1,63}$")


def hubspot_calls(action: SyncToHubSpot) -> HubSpotSync:
    calls: list[HubSpotCall] = []
    if action.email:
        calls.append(
            HubSpotCall(
                operation="upsert contact",
                method="POST",
                path=CONTACTS_UPSERT,
                body={
                    "inputs": [
                        {
                            "idProperty": "email",
                            "id": action.email,
                            "properties": {"email": action.email, **action.contact},
                        }
                    ]
                },
            )
        )
    if action.deal_key and action.deal_id_property:
        calls.append(
            HubSpotCall(
                operation="upsert deal",
                method="POST",
                path=DEALS_UPSERT,
                body={
                    "inputs": [
                        {
                            "idProperty": action.deal_id_property,
                            "id": action.deal_key,
                            "properties": {action.deal_id_property: action.deal_key, **action.deal},
                        }
                    ]
                },
            )
        )
        if action.email:
            calls.append(HubSpotCall(operation="associate deal with contact", method="PUT", path=ASSOCIATE))
    if not calls:
        raise PermanentError("nothing to push to HubSpot: no email and no deal")
    return HubSpotSync(calls=calls)


def _error(exc: Any, what: str) -> Exception:
    """The typed error for the client's ApiException (its text holds headers and body: never kept)."""
    status = int(getattr(exc, "status", 0) or 0)
    headers = getattr(exc, "headers", None) or {}
    category = ""
    try:
        body = json.loads(getattr(exc, "body", None) or b"{}")
        found = body.get("category") if isinstance(body, dict) else None
        category = found if isinstance(found, str) and _CATEGORY.match(found) else ""
    except (ValueError, TypeError):
        category = ""
    detail = f"HubSpot {what}: HTTP {status}" + (f" {category}" if category else "")
    if status == 429:
        retry_after = headers.get("Retry-After") if hasattr(headers, "get") else None
        return Throttled(detail, retry_after_seconds(retry_after))
    if status == 0:
        return TransientError(f"HubSpot {what}: connection failed")
    if status == 408 or status >= 500:
        return TransientError(detail)
    return PermanentError(detail)


class HubSpotChannel:
    """Sends one rendered HubSpotSync with the official client (imported here, on first use)."""

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def _client(self, module: Any) -> Any:
        config = module.Configuration()
        config.access_token = self._token
        config.retries = False  # one try per attempt: the executor retries, with backoff
        client = module.ApiClient(configuration=config)
        if TRANSPORT is not None:
            client.rest_client.pool_manager = TRANSPORT
        return client

    def send(self, request: HubSpotSync) -> str:
        import urllib3
        from hubspot.crm import contacts, deals
        from hubspot.crm.associations import v4

        for name in ("hubspot",):  # the client logs request and answer bodies at DEBUG
            logging.getLogger(name).setLevel(logging.WARNING)
        ids: dict[str, str] = {}
        for call in request.calls:
            try:
                if call.path == CONTACTS_UPSERT:
                    ids["contact"] = self._upsert(contacts, call)
                elif call.path == DEALS_UPSERT:
                    ids["deal"] = self._upsert(deals, call)
                else:
                    api = v4.BasicApi(api_client=self._client(v4))
                    api.create_default(
                        "deals", ids["deal"], "contacts", ids["contact"], _request_timeout=TIMEOUT
                    )
            except (contacts.ApiException, deals.ApiException, v4.ApiException) as exc:
                raise _error(exc, call.operation) from None
            except urllib3.exceptions.HTTPError as exc:
                raise TransientError(f"HubSpot {call.operation}: {type(exc).__name__}") from None
            except ValueError:  # an answer the client could not read (never echoed: it holds data)
                raise PermanentError(f"HubSpot {call.operation}: the answer was not understood") from None
        return ", ".join(f"{kind} {ident}" for kind, ident in ids.items())

    def _upsert(self, module: Any, call: HubSpotCall) -> str:
        assert call.body is not None
        item = call.body["inputs"][0]
        batch = module.BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                module.SimplePublicObjectBatchInputUpsert(
                    id_property=item["idProperty"], id=item["id"], properties=item["properties"]
                )
            ]
        )
        api = module.BatchApi(api_client=self._client(module))
        answer = api.upsert(batch, _request_timeout=TIMEOUT)
        results = getattr(answer, "results", None) or []
        if not results:
            raise PermanentError(f"HubSpot {call.operation}: the answer named no record")
        return str(results[0].id)
