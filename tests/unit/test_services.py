"""The local stores the pipeline starts on demand (pipeline/services)."""

from __future__ import annotations

import os

import pytest

from pipeline.services import dynalite
from pipeline.services.dynalite import DynamoDBUnavailable, client, running_dynalite

TABLE = dict(
    TableName="things",
    KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
)


def _pid_of(data_dir) -> int:
    import json

    return json.loads((data_dir / dynalite.STATE_FILE).read_text())["pid"]


def test_dynalite_keeps_items_in_its_folder_and_stops(tmp_path):
    with running_dynalite(tmp_path) as endpoint:
        assert endpoint.startswith("http://127.0.0.1:")
        pid = _pid_of(tmp_path)
        dynamodb = client(endpoint)
        dynamodb.create_table(**TABLE)
        dynamodb.get_waiter("table_exists").wait(TableName="things", WaiterConfig={"Delay": 0.2})
        dynamodb.put_item(TableName="things", Item={"k": {"S": "a"}, "v": {"N": "7"}})
        with running_dynalite(tmp_path) as again:  # a second command reuses the server
            assert again == endpoint
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not (tmp_path / dynalite.STATE_FILE).exists()
    with running_dynalite(tmp_path) as endpoint:
        item = client(endpoint).get_item(TableName="things", Key={"k": {"S": "a"}})["Item"]
    assert item == {"k": {"S": "a"}, "v": {"N": "7"}}


def test_dynalite_without_node_modules_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(dynalite, "DYNALITE_CLI", tmp_path / "missing" / "cli.js")
    with pytest.raises(DynamoDBUnavailable, match="npm ci"), running_dynalite():
        pass
