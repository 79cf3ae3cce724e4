"""The alarms an operator gets (issue 17, item 8): failed actions, dead letters, throttles, the
stream handlers' backlog and a sweeper that stopped sweeping; every one publishes to the alarm topic."""

from __future__ import annotations

from typing import Any

from infra.templates import merge_template, resources


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: res["Properties"]
        for name, res in template["Resources"].items()
        if res.get("Type") == "AWS::CloudWatch::Alarm"
    }


def test_every_failure_an_operator_must_hear_of_has_an_alarm_on_the_topic() -> None:
    found = alarms(resources())
    watched = {(a["Namespace"], a["MetricName"]) for a in found.values()}
    assert {
        ("storeflow", "ActionsFailed"),
        ("storeflow", "SweeperHeartbeat"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
        ("AWS/Lambda", "IteratorAge"),
        ("AWS/Lambda", "Throttles"),
    } <= watched
    for name, alarm in found.items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name


def test_a_silent_sweeper_is_an_alarm_not_missing_data() -> None:
    sweeper = alarms(resources())["SweeperStoppedAlarm"]
    assert sweeper["TreatMissingData"] == "breaching"  # no heartbeat at all is exactly the failure
    assert sweeper["ComparisonOperator"] == "LessThanThreshold"


def test_function_alarms_name_the_functions_of_each_deploy_path() -> None:
    chalice_deploy = alarms(resources())["DispatchStreamAgeAlarm"]["Dimensions"][0]["Value"]
    assert chalice_deploy == {"Fn::Sub": "${AWS::StackName}-dispatch"}  # Chalice: <app>-<stage>-dispatch
    packaged = alarms(merge_template("dev", None))
    for function in ("Dispatch", "Execute"):
        for kind in ("StreamAge", "Throttle"):
            value = packaged[f"{function}{kind}Alarm"]["Dimensions"][0]["Value"]
            assert value == {"Ref": function}
