"""The composition root: settings, clock, lazily created AWS clients, the repositories and the
automation registry.

Handlers call `get_runtime()`; nothing is created at import. Tests and the local stack call
`reset_runtime()` after changing the environment (moto), so nothing needs patching. The registry is
assembled at the top (functions/composition.py, installed by app.py with `use_registry`); a test
passes its own to `Runtime(..., registry=...)`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

from storekit.automation import Registry
from storekit.clock import Clock, SystemClock
from storekit.errors import ConfigurationError
from storekit.links import LinkClaims, LinkSigner
from storekit.payload_store import S3Archive
from storekit.repository import Repository
from storekit.settings import get_settings, reset_settings
from storekit.store import StoreConfig, StoreSecrets

if TYPE_CHECKING:
    from storekit.settings_model import Settings

SECRET_CACHE_SECONDS = 300
#: where `make run` serves the API (DESIGN: port 8000)
LOCAL_PUBLIC_URL = "http://127.0.0.1:8000"


#: builds the registry of the deployed automations; installed by the app (functions/composition.py)
_REGISTRY_SOURCE: Callable[[], Registry] | None = None


def use_registry(source: Callable[[], Registry]) -> None:
    """Install what builds the app's registry (called once, by app.py; builds nothing yet)."""
    global _REGISTRY_SOURCE
    _REGISTRY_SOURCE = source


#: services whose calls send a message with no idempotency key: their clients make one attempt
SEND_ONCE: Final = frozenset({"ses", "sesv2", "sns"})


class Runtime:
    def __init__(
        self, settings: Settings, clock: Clock | None = None, registry: Registry | None = None
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._store_cache: dict[str, tuple[float, StoreConfig | None]] = {}
        if registry is not None:
            self.__dict__["registry"] = registry

    @cached_property
    def registry(self) -> Registry:
        """The automations this deployment runs (given to the constructor, else the app's)."""
        if _REGISTRY_SOURCE is None:
            raise ConfigurationError("no automations installed: app.py installs functions.composition's")
        return _REGISTRY_SOURCE()

    # --- AWS clients, created on first use ------------------------------------------------
    @cached_property
    def session(self) -> Any:
        import boto3  # deferred: keeps cold import of app fast

        return boto3.session.Session(region_name=self.settings.region)

    def client(self, name: str) -> Any:
        cache = self.__dict__.setdefault("_clients", {})
        if name not in cache:
            if name in SEND_ONCE:
                from botocore.config import Config

                # one attempt: botocore would resend after a read timeout (the message may have gone
                # out); throttling and 5xx come back to the executor, which retries with backoff
                cache[name] = self.session.client(name, config=Config(retries={"total_max_attempts": 1}))
            else:
                cache[name] = self.session.client(name)
        return cache[name]

    @cached_property
    def table(self) -> Any:
        return self.session.resource("dynamodb").Table(self.settings.table_name)

    @cached_property
    def repo(self) -> Repository:
        return Repository(self.table, self.clock)

    @cached_property
    def archive(self) -> S3Archive:
        return S3Archive(self.client("s3"), self.settings.archive_bucket)

    @cached_property
    def http(self) -> Any:
        import requests

        return requests.Session()

    # --- store config, cached on the hot path ----------------------------------------------
    def store(self, store_id: str, *, fresh: bool = False) -> StoreConfig | None:
        """A store's config; webhook ingest reads it from a short in-process cache."""
        now = time.monotonic()
        cached = self._store_cache.get(store_id)
        if not fresh and cached and now - cached[0] < self.settings.store_cache_seconds:
            return cached[1]
        config = self.repo.get_store(store_id)
        if config is None:
            # never cache a miss: a store created a moment ago must not be refused its first webhooks
            self._store_cache.pop(store_id, None)
        else:
            self._store_cache[store_id] = (now, config)
        return config

    def forget_store(self, store_id: str) -> None:
        self._store_cache.pop(store_id, None)

    # --- secrets: Secrets Manager through Powertools Parameters (cached) ----------------------
    @cached_property
    def secrets_provider(self) -> Any:
        from aws_lambda_powertools.utilities import parameters

        return parameters.SecretsProvider(boto3_client=self.client("secretsmanager"))

    @cached_property
    def ssm_provider(self) -> Any:
        from aws_lambda_powertools.utilities import parameters

        return parameters.SSMProvider(boto3_client=self.client("ssm"))

    def store_secrets(self, store_id: str, *, fresh: bool = False) -> StoreSecrets:
        from aws_lambda_powertools.utilities import parameters

        name = self.settings.secret_name(store_id)
        try:
            value = self.secrets_provider.get(
                name, transform="json", max_age=SECRET_CACHE_SECONDS, force_fetch=fresh
            )
        except parameters.exceptions.GetParameterError as exc:
            if "ResourceNotFoundException" in str(exc):
                raise ConfigurationError(f"store {store_id} has no secrets saved") from None
            raise
        return StoreSecrets.model_validate(value)

    def save_store_secrets(self, store_id: str, secrets: StoreSecrets) -> None:
        sm = self.client("secretsmanager")
        name = self.settings.secret_name(store_id)
        body = json.dumps(secrets.to_json_dict())
        try:
            sm.put_secret_value(SecretId=name, SecretString=body)
        except sm.exceptions.ResourceNotFoundException:
            sm.create_secret(Name=name, SecretString=body, Description=f"storeflow store {store_id}")
        self.store_secrets(store_id, fresh=True)

    def delete_store_secrets(self, store_id: str) -> None:
        sm = self.client("secretsmanager")
        try:
            sm.delete_secret(SecretId=self.settings.secret_name(store_id), ForceDeleteWithoutRecovery=True)
        except sm.exceptions.ResourceNotFoundException:
            return

    # --- signed links (storekit.links) --------------------------------------------------------
    def ensure_link_key(self) -> None:
        """Create the deployment's link key unless it exists (saving a store calls this, so every
        store that can send a message has one). Checked once per process: a key is never deleted."""
        if self.__dict__.get("_link_key_exists"):
            return
        self._ensure_link_key()
        self.__dict__["_link_key_exists"] = True

    def _ensure_link_key(self) -> None:
        sm = self.client("secretsmanager")
        name = self.settings.link_key_name()
        try:
            sm.get_secret_value(SecretId=name)  # the read every function is granted
        except sm.exceptions.ResourceNotFoundException:
            import secrets

            try:
                sm.create_secret(
                    Name=name, SecretString=secrets.token_hex(32), Description="storeflow link key"
                )
            except sm.exceptions.ResourceExistsException:
                return  # created meanwhile by another request: that key is the one

    def link_signer(self) -> LinkSigner:
        from aws_lambda_powertools.utilities import parameters

        try:
            key = self.secrets_provider.get(self.settings.link_key_name(), max_age=SECRET_CACHE_SECONDS)
        except parameters.exceptions.GetParameterError as exc:
            if "ResourceNotFoundException" in str(exc):
                raise ConfigurationError(
                    "no link key yet: save a store (PUT /stores/{id}) to create it"
                ) from None
            raise
        return LinkSigner(bytes.fromhex(str(key)))

    def public_url(self) -> str:
        if self.settings.public_url:
            return self.settings.public_url
        if self.settings.local_mode:
            return LOCAL_PUBLIC_URL
        raise ConfigurationError("STOREFLOW_PUBLIC_URL is not set (the API URL that chalice deploy printed)")

    def link_url(self, claims: LinkClaims) -> str:
        """A signed link (unsubscribe, open pixel, click) to this deployment's public routes."""
        return self.link_signer().url(self.public_url(), claims)

    def admin_token_sha256(self) -> str | None:
        """sha256 of the operator's admin token: SSM SecureString, Secrets Manager, or (local) env."""
        s = self.settings
        token: str | None
        if s.admin_token_parameter:
            token = self.ssm_provider.get(s.admin_token_parameter, decrypt=True, max_age=SECRET_CACHE_SECONDS)
        elif s.admin_token_secret:
            token = self.secrets_provider.get(s.admin_token_secret, max_age=SECRET_CACHE_SECONDS)
        elif s.local_mode:
            token = s.admin_token
        else:
            token = None
        return hashlib.sha256(token.encode()).hexdigest() if token else None


_RUNTIME: Runtime | None = None


def get_runtime() -> Runtime:
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = Runtime(get_settings())
    return _RUNTIME


def set_runtime(runtime: Runtime) -> None:
    global _RUNTIME
    _RUNTIME = runtime


def reset_runtime() -> None:
    global _RUNTIME
    _RUNTIME = None
    reset_settings()
    try:
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()
    except ImportError:  # Powertools is a hard dependency; this only guards partial installs
        return
