"""moto's TransactWriteItems and Query, made to cost what one call costs (the project's embedded moto only).

moto 5.2 emulates a DynamoDB transaction by `copy.deepcopy` of every table it touches (items, and
the stream shard with every stream record) before the first write, so that it can put the copy
back if an item fails. One transaction therefore costs time and memory in proportion to the whole
table: `make load` with 200 webhooks took 21 minutes and 6.5 GB. Putting the copy back also swaps
the table's stream shard for the copy's, so a cancelled transaction cut the local stream.

`install()` replaces `DynamoDBBackend.transact_write_items` in this process with an emulation that
does what DynamoDB does, at the cost of the items it names:

1. every item's condition is evaluated against the table as it was before the transaction, with
   moto's own condition evaluation and its check that no item is named twice (a transaction's
   items are distinct, so this is the same as moto's item-by-item evaluation);
2. if any condition fails (or an item names an unknown table, an unsupported operation...),
   TransactionCanceledException is raised with one reason per item, in moto's shape ("None" for
   the items that passed), and nothing is written: no item changes, no stream record is added;
3. otherwise the items are written with moto's own put/update/delete, after taking a copy of each
   item the transaction touches. If a write raises part-way (for example an update expression that
   fails validation against the stored item), the touched items are put back from those copies and
   the stream records this transaction appended are dropped; moto's own error (a validation error
   as such, anything else as TransactionCanceledException with its reasons) is raised.

moto's Query has the same flaw in a smaller way: it sorts every item of the table (comparing
moto's typed values in Python) before keeping those of the partition asked for, so one query on a
table of 50,000 items took ~2 s here. `install()` also makes a query of the table read only the
partition asked for, and a query of an index skip that sort of the whole table (moto sorts the
index's matches by their full key afterwards anyway); the results, their order and the pages are
moto's own.

What stays moto's: the request validation in moto's response layer, the condition and update
expression evaluation, the error shapes, and ClientRequestToken, which moto ignores (it does not
emulate the idempotency window; neither does this). Nothing here runs on AWS: the deployed
functions use DynamoDB itself. `install()` is called where the project starts moto: the local
stack (`make run`, `make load`) and the test fixtures (tests/conftest.py).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

#: moto's own methods, while ours are installed: (transact_write_items, Table.query, Table.all_items)
_installed: list[Any] = []
#: the query being answered in this thread (moto's server answers each request in its own thread)
_scope = threading.local()


def install() -> None:
    """Replace moto's TransactWriteItems and Query emulation in this process (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if _installed:
        return
    _installed.extend((DynamoDBBackend.transact_write_items, Table.query, Table.all_items))
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign,assignment]
    Table.query = _query  # type: ignore[method-assign,assignment]
    Table.all_items = _all_items  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    """Put moto's own emulation back (the benchmark compares the two)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if _installed:
        transact, query, all_items = _installed
        DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
        Table.query = query  # type: ignore[method-assign]
        Table.all_items = all_items  # type: ignore[method-assign]
        _installed.clear()


def _query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    """Table.query, with the table's items narrowed while it runs (see `_all_items`)."""
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    _scope.query = (table, None if index_name else hash_key)
    try:
        return _installed[1](table, hash_key, *args, **kwargs)
    finally:
        _scope.query = None


def _all_items(table: Any) -> list[Any]:
    """Table.all_items. Inside a query of this table: for a query of the table, only the items of
    the partition asked for (moto keeps only those, `item.hash_key == hash_key`, from all of them),
    in moto's order; for an index, every item unsorted (moto sorts the matches itself)."""
    query = getattr(_scope, "query", None)
    if query is None or query[0] is not table:
        return list(_installed[2](table))
    hash_key = query[1]
    if hash_key is None:
        if not table.range_key_attr:
            return list(table.items.values())
        return [item for bucket in table.items.values() for item in bucket.values()]
    bucket = table.items.get(hash_key)
    if bucket is None:
        return []
    items = list(bucket.values()) if table.range_key_attr else [bucket]
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


Reason = tuple[str, str, Any] | tuple[None, None, None]


def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """DynamoDBBackend.transact_write_items without copying the tables (see the module docstring)."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    named: set[tuple[str, str]] = set()
    reasons: list[Reason] = []
    checked: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = []  # (op type, op, table, key)

    # 1. every condition against the state before the transaction; nothing written yet
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException
        original_item: dict[str, Any] | None = None
        try:
            op_type, op = next(iter(entry.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            if op_type == "Put":
                table = backend.get_table(table_name)
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            name = (str(table_name), str(dict(sorted(key.items()))))
            if name in named:
                raise MultipleTransactionsException()
            named.add(name)
            current = backend.get_item(table_name, key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                evaluate = get_filter_expression(
                    condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                )
                if not evaluate.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            checked.append((op_type, op, table_name, key))
            reasons.append((None, None, None))
        except MockValidationException:
            raise  # moto's own: a validation error of the request, nothing written
        except ConditionalCheckFailed as failed:
            reasons.append(("ConditionalCheckFailed", str(failed.message), original_item))
        except Exception as error:  # moto's own: any other failure is that item's reason
            reasons.append((type(error).__name__, str(error), original_item))
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)

    # 2. write, keeping a copy of each touched item and where each stream stood
    touched: list[tuple[Any, Any, Any, Any]] = []  # (table, hash key, range key, item before or None)
    streams: dict[int, tuple[Any, int]] = {}
    applied: list[Reason] = []
    validation: MockValidationException | None = None
    for op_type, op, table_name, key in checked:
        try:
            table = backend.get_table(table_name)
            if table.stream_shard is not None and id(table) not in streams:
                streams[id(table)] = (table.stream_shard, len(table.stream_shard.items))
            if op_type != "ConditionCheck":
                hash_key, range_key = backend.get_keys_value(table, key)
                before = table.get_item(hash_key, range_key)
                touched.append((table, hash_key, range_key, copy.deepcopy(before)))
            _write(backend, op_type, op, table_name, key)
            applied.append((None, None, None))
        except MockValidationException as error:
            validation = error
            break
        except Exception as error:  # moto's own: the item's reason
            applied.append((type(error).__name__, str(error), None))
    if validation is None and all(code is None for code, _, _ in applied):
        return
    _restore(touched, streams)
    if validation is not None:
        raise validation
    raise TransactionCanceledException(applied)


def _write(backend: Any, op_type: str, op: dict[str, Any], table_name: str, key: dict[str, Any]) -> None:
    """One item's write, through moto's own calls exactly as its emulation makes them."""
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    condition = op.get("ConditionExpression")
    if op_type == "Put":
        backend.put_item(
            table_name,
            op["Item"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Delete":
        backend.delete_item(
            table_name,
            key,
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Update":
        backend.update_item(
            table_name,
            key,
            update_expression=op["UpdateExpression"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )


def _restore(touched: list[tuple[Any, Any, Any, Any]], streams: dict[int, tuple[Any, int]]) -> None:
    """Put the touched items back as they were (last touched first) and drop the stream records
    the transaction appended."""
    for table, hash_key, range_key, before in reversed(touched):
        if range_key is not None:
            bucket = table.items[hash_key]
            if before is None:
                bucket.pop(range_key, None)
            else:
                bucket[range_key] = before
        elif before is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = before
    for shard, length in streams.values():
        del shard.items[length:]
