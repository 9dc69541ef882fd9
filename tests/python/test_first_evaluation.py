"""The first-evaluation custom resource of template.yaml, run for real against moto.

The function's inline code is read from template.yaml (never copied), loaded as a module and
called with a CloudFormation custom-resource event whose ResponseURL is a local HTTP server; the
test asserts what the response tells the stack about the AWS Config recorder: none, stopped,
missing a scoped resource type, or all good. Run by scripts/test.sh with the moto venv's python
and PLAUDIT_MOTO_URL; skipped without it.
"""

import http.server
import json
import os
import pathlib
import threading
import types
import unittest
import urllib.request

import boto3
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
MOTO = os.environ.get("PLAUDIT_MOTO_URL")


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, ...) as plain values."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_CfnLoader.add_multi_constructor("!", _tag)


def template():
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=_CfnLoader)


class _Capture(http.server.BaseHTTPRequestHandler):
    """The custom resource's ResponseURL: keeps the body of each PUT."""

    bodies = []

    def do_PUT(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers["Content-Length"])
        _Capture.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@unittest.skipUnless(MOTO, "PLAUDIT_MOTO_URL is not set (scripts/test.sh sets it)")
class FirstEvaluationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ.update(
            AWS_ENDPOINT_URL=MOTO,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_MAX_ATTEMPTS="1",  # moto answers 500 to what it does not implement
        )
        resources = template()["Resources"]
        props = resources["FirstEvaluation"]["Properties"]
        cls.types = props["ResourceTypes"]
        cls.module = types.ModuleType("first_evaluation")
        code = resources["FirstEvaluationFunction"]["Properties"]["InlineCode"]
        exec(compile(code, "template.yaml:FirstEvaluationFunction", "exec"), cls.module.__dict__)
        cls.server = http.server.HTTPServer(("127.0.0.1", 0), _Capture)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.config = boto3.client("config")
        cls.s3 = boto3.client("s3")

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def setUp(self):
        urllib.request.urlopen(urllib.request.Request(MOTO + "/moto-api/reset", method="POST"))
        _Capture.bodies.clear()

    def deploy(self):
        """Runs the custom resource as CloudFormation would on Create; returns its response."""
        port = self.server.server_address[1]
        event = {
            "RequestType": "Create",
            "ResponseURL": "http://127.0.0.1:%d/response" % port,
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/plaudit/1",
            "RequestId": "request-1",
            "LogicalResourceId": "FirstEvaluation",
            "ResourceType": "Custom::StartConfigRulesEvaluation",
            "ResourceProperties": {
                "ConfigRuleNames": ["plaudit-vpc", "plaudit-endpoints"],
                "ResourceTypes": self.types,
            },
        }
        context = types.SimpleNamespace(log_stream_name="stream-1")
        self.module.handler(event, context)
        self.assertEqual(len(_Capture.bodies), 1, "exactly one response to CloudFormation")
        body = _Capture.bodies[0]
        self.assertEqual(body["Status"], "SUCCESS", "never fails the deployment")
        self.assertEqual(body["RequestId"], "request-1")
        self.assertEqual(body["LogicalResourceId"], "FirstEvaluation")
        self.assertIn(body["Data"]["Recorder"], body["Reason"], "the output says what the reason says")
        return body

    def recorder(self, group, start=True):
        self.config.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": "arn:aws:iam::123456789012:role/config",
                "recordingGroup": group,
            }
        )
        self.s3.create_bucket(Bucket="config-history")
        self.config.put_delivery_channel(
            DeliveryChannel={"name": "default", "s3BucketName": "config-history"}
        )
        if start:
            self.config.start_configuration_recorder(ConfigurationRecorderName="default")

    def test_the_resource_types_are_the_recorders_and_the_rules(self):
        resources = template()["Resources"]
        recorded = resources["ConfigRecorder"]["Properties"]["RecordingGroup"]["ResourceTypes"]
        self.assertEqual(sorted(recorded), sorted(self.types))
        scoped = {
            t
            for r in resources.values()
            if r["Type"] == "AWS::Config::ConfigRule"
            for t in r["Properties"]["Scope"]["ComplianceResourceTypes"]
        }
        self.assertEqual(scoped, set(self.types))

    def test_reports_no_recorder_with_the_fix(self):
        reason = self.deploy()["Reason"]
        self.assertIn("PROBLEM: no AWS Config configuration recorder", reason)
        self.assertIn("ConfigRules=create-recorder", reason)
        self.assertIn("AWS::EC2::VPCEndpointService", reason)

    def test_reports_a_stopped_recorder_with_the_command_that_starts_it(self):
        self.recorder({"allSupported": True, "includeGlobalResourceTypes": False}, start=False)
        reason = self.deploy()["Reason"]
        self.assertIn("PROBLEM: recorder default is not recording", reason)
        self.assertIn("start-configuration-recorder --configuration-recorder-name default", reason)
        self.assertNotIn("does not record", reason)

    def test_reports_the_resource_types_a_recorder_misses(self):
        recorded = [t for t in self.types if t not in ("AWS::EC2::NetworkAcl", "AWS::EC2::VPCEndpointService")]
        self.recorder({"allSupported": False, "resourceTypes": recorded,
                       "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}})
        reason = self.deploy()["Reason"]
        self.assertIn(
            "PROBLEM: recorder default does not record AWS::EC2::NetworkAcl, AWS::EC2::VPCEndpointService",
            reason,
        )
        self.assertNotIn("not recording", reason)

    def test_reports_excluded_resource_types(self):
        self.recorder({"allSupported": False,
                       "exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::Subnet"]},
                       "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}})
        reason = self.deploy()["Reason"]
        self.assertIn("PROBLEM: recorder default does not record AWS::EC2::Subnet,", reason)

    def test_all_good_when_recording_every_scoped_type(self):
        self.recorder({"allSupported": False, "resourceTypes": self.types,
                       "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}})
        body = self.deploy()
        self.assertEqual(
            body["Data"]["Recorder"],
            "OK: recorder default is recording all %d resource types the rules are scoped to"
            % len(self.types),
        )
        self.assertNotIn("PROBLEM", body["Reason"])
        # moto does not implement StartConfigRulesEvaluation: reported, not fatal.
        self.assertIn("evaluation", body["Reason"])

    def test_all_supported_covers_every_type(self):
        self.recorder({"allSupported": True, "includeGlobalResourceTypes": False})
        self.assertTrue(self.deploy()["Data"]["Recorder"].startswith("OK: recorder default"))


if __name__ == "__main__":
    unittest.main()
