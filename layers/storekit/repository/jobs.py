"""Due jobs, filed by the hour they are due in and found by that hour (never a scan); each is run
once: a sweeper claims it conditionally, and takes over a claim whose sweeper died."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

from boto3.dynamodb.conditions import Attr, Key

from storekit import keys
from storekit.clock import iso, parse_iso
from storekit.records import JobRecord
from storekit.repository.base import TableRepository
from storekit.repository.items import job_from_item

#: how often a stream handler's heartbeat is written at most (per handler and process)
HEARTBEAT_EVERY = timedelta(minutes=1)


class JobRepository(TableRepository):
    def put_job(self, job: JobRecord) -> JobRecord | None:
        """File a job under its due hour (the current one if already due, so a job filed for the
        past is still ahead of the sweeper's cursor). None if it exists."""
        partition = keys.job_partition(max(parse_iso(job.due_at), self._clock.now()))
        job = job.model_copy(update={"bucket": partition})
        written = self._put_once(
            {
                **keys.job(partition, job.store_id, job.job_id, job.due_at),
                **keys.job_listing(job.store_id, job.due_at, job.job_id),
                "type": keys.JOB,
                **job.model_dump(),
                "params": json.dumps(job.params, default=str),
            }
        )
        return job if written else None

    def due_jobs(self, partition: str, until_iso: str) -> Iterator[JobRecord]:
        """The jobs of one hour partition due by `until_iso` that are still to run: pending, or
        claimed (a claim whose sweeper died is taken over once it is old enough)."""
        query = {
            "KeyConditionExpression": Key("PK").eq(keys.job_partition_key(partition))
            & Key("SK").lte(keys.jobs_due_by(until_iso)),
            "FilterExpression": Attr("status").is_in(["pending", "claimed"]),
        }
        for item in self._query(query):
            if item["due_at"] <= until_iso:
                yield job_from_item(item)

    def find_job(self, store_id: str, job_id: str) -> JobRecord | None:
        index, partition = keys.listing_partition(store_id, "schedules")
        query = {
            "IndexName": index,
            "KeyConditionExpression": Key(f"{index}PK").eq(partition),
            "FilterExpression": Attr("job_id").eq(job_id),
        }
        found = next(self._query(query), None)  # a filter applies per page: the pages are followed
        return job_from_item(found) if found else None

    def claim_job(self, job: JobRecord, stalled_before: str) -> JobRecord | None:
        """Claim a pending job, or take over a claim made before `stalled_before` by a sweeper that
        died mid-way. None if another sweeper holds it (or it finished)."""
        assert job.bucket is not None, "a stored job knows its partition"
        now = iso(self._clock.now())
        claimed = self._update_if(
            Key=keys.job(job.bucket, job.store_id, job.job_id, job.due_at),
            UpdateExpression="SET #s = :claimed, claimed_at = :now",
            ConditionExpression="#s = :pending OR (#s = :claimed AND claimed_at < :stalled)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":claimed": "claimed",
                ":pending": "pending",
                ":now": now,
                ":stalled": stalled_before,
            },
        )
        return job.model_copy(update={"status": "claimed", "claimed_at": now}) if claimed else None

    def move_job(self, job: JobRecord, to_status: str, from_status: str, reason: str | None = None) -> bool:
        assert job.bucket is not None, "a stored job knows its partition"
        return self._update_if(
            Key=keys.job(job.bucket, job.store_id, job.job_id, job.due_at),
            UpdateExpression="SET #s = :s, reason = :r",
            ConditionExpression="#s = :from",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": to_status, ":from": from_status, ":r": reason},
        )

    def sweeper_cursor(self) -> str | None:
        """The job partition the next sweep starts at (None before the first sweep)."""
        item = self._get(keys.sweeper_cursor(), consistent=True)
        return str(item["bucket"]) if item else None

    def set_sweeper_cursor(self, partition: str) -> None:
        item = {**keys.sweeper_cursor(), "type": keys.CURSOR, "bucket": partition}
        self._table.put_item(Item={**item, "swept_at": iso(self._clock.now())})

    def note_stream_batch(self, handler: str, newest_record_at: str | None) -> bool:
        """A stream handler finished a batch: written at most once a minute per handler and process
        (a Lambda container reads one shard at a time), not per batch: a busy stream would otherwise
        pay a write for every 25 records. Health reads it to a minute's precision; a handler that is
        falling behind is still seen within a minute. True when it wrote."""
        now = self._clock.now()
        last = self._beats_written.get(handler)
        if last is not None and timedelta(0) <= now - last < HEARTBEAT_EVERY:
            return False
        item = {**keys.stream_heartbeat(handler), "type": keys.CURSOR, "handled_at": iso(now)}
        if newest_record_at:
            item["newest_record_at"] = newest_record_at
        self._table.put_item(Item=item)
        self._beats_written[handler] = now
        return True

    @property
    def _beats_written(self) -> dict[str, datetime]:
        """When this process last wrote each handler's heartbeat (kept in memory only)."""
        beats: dict[str, datetime] | None = self.__dict__.get("_stream_beats")
        if beats is None:
            beats = self.__dict__["_stream_beats"] = {}
        return beats

    def engine_heartbeats(self) -> dict[str, dict[str, str]]:
        """The sweeper cursor and each stream handler's last batch: one Query of one partition."""
        query = {
            "KeyConditionExpression": Key("PK").eq(keys.engine_state_partition()),
            "ConsistentRead": True,
        }
        beats: dict[str, dict[str, str]] = {}
        for item in self._query(query):
            name = (
                "sweeper" if item["SK"] == keys.sweeper_cursor()["SK"] else str(item["SK"]).split("#", 1)[-1]
            )
            beats[name] = {k: str(v) for k, v in item.items() if k.endswith("_at") or k == "bucket"}
        return beats
