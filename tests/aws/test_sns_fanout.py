"""S3 raw/ events fan out through SNS: the topic, its queue subscription (raw delivery) and
the policies Terraform declares, exercised on moto's server. An S3-shaped ObjectCreated
event published to the topic reaches the events queue as the S3 event JSON itself, and a
second subscriber receives it too."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from moto_support import client

pytestmark = pytest.mark.aws
EVENTS_TF = Path(__file__).resolve().parents[2] / "infra/terraform/modules/lake/events.tf"


def s3_event(bucket: str, key: str) -> dict:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 12}},
            }
        ]
    }


def test_terraform_routes_raw_events_through_the_topic():
    text = EVENTS_TF.read_text()
    notification = text[text.index('resource "aws_s3_bucket_notification"') :]
    assert "topic_arn     = aws_sns_topic.raw_events.arn" in notification
    assert "queue {" not in notification  # no longer straight to SQS
    subscription = re.search(
        r'"aws_sns_topic_subscription" "raw_events_queue" \{(.*?)\n\}', text, re.S
    )
    body = subscription.group(1)
    assert 'protocol             = "sqs"' in body and "raw_message_delivery = true" in body
    assert "kms_master_key_id = var.kms_key_arn" in text[text.index('"aws_sns_topic"') :]


def test_an_s3_event_published_to_the_topic_reaches_the_queue_and_other_subscribers(aws_env):
    sns, sqs = client(aws_env, "sns"), client(aws_env, "sqs")
    name = f"raw-events-{uuid.uuid4().hex[:8]}"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queues = {}
    for role in ("events", "other"):
        url = sqs.create_queue(QueueName=f"{name}-{role}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        policy = {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
                }
            ]
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        queues[role] = url

    event = s3_event("lake", "raw/orders/dt=2024-03-01/a.csv")
    sns.publish(TopicArn=topic, Message=json.dumps(event))

    for url in queues.values():
        [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
        received = json.loads(message["Body"])
        assert received == event  # raw delivery: no SNS envelope around the S3 event
        assert received["Records"][0]["s3"]["object"]["key"].startswith("raw/orders/")
