#!/usr/bin/env python3
"""Cold start and one invocation of the real scheduled-audit Lambda binary, without AWS.

Runs the release `bootstrap` (target/release/plaudit-scheduled-audit) under a minimal Lambda Runtime
API emulator served here on loopback, with every AWS call going to a moto server. Reports:

- init: process start -> first `GET /runtime/invocation/next` (clients built, manifest read, one
  STS call to loopback moto: "cold start minus network" up to that one local round trip);
- invoke: event handed over -> response posted (collect N VPCs from moto, evaluate, drift, alerts);
- peak RSS of the function process (VmHWM), against the 128 MB Lambda size.

Usage (moto running, e.g. from scripts/test.sh's venv):
    .venv-test/bin/python scripts/bench-function.py --moto http://127.0.0.1:5100 --vpcs 10,100,500

Needs boto3 (moto's venv has it). Not part of the test suite: a benchmark whose numbers go to
BENCHMARKS.md.
"""
import argparse
import http.server
import json
import os
import subprocess
import threading
import time
import urllib.request

import boto3

BINARY = os.path.join(os.path.dirname(__file__), "..", "target", "release", "plaudit-scheduled-audit")


class Runtime(http.server.BaseHTTPRequestHandler):
    """The three Runtime API calls a function makes: next, response, error."""

    state = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        st = Runtime.state
        if st.get("served"):
            # Second /next: the run is over; hold the function here until it is killed.
            st["second_next"] = time.monotonic()
            time.sleep(30)
            return
        st["first_next"] = time.monotonic()
        st["served"] = True
        body = json.dumps({"version": "0", "id": "bench", "detail-type": "Scheduled Event",
                           "source": "aws.events", "detail": {}}).encode()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + Runtime.deadline_ms))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:us-east-1:123456789012:function:plaudit")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-0-0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        Runtime.state["result"] = (self.path, self.rfile.read(length).decode())
        Runtime.state["done"] = time.monotonic()
        self.send_response(202)
        self.end_headers()


def build_estate(moto, n):
    urllib.request.urlopen(urllib.request.Request(moto + "/moto-api/reset", method="POST"))
    kw = dict(endpoint_url=moto, region_name="us-east-1",
              aws_access_key_id="testing", aws_secret_access_key="testing")
    ec2 = boto3.client("ec2", **kw)
    for i in range(n):
        vpc = ec2.create_vpc(CidrBlock=f"10.{i // 250}.{i % 250}.0/24")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{i // 250}.{i % 250}.{j * 64}/26",
                                     AvailabilityZone=az)["Subnet"]["SubnetId"]
                   for j, az in enumerate(["us-east-1a", "us-east-1b"])]
        sg = ec2.create_security_group(GroupName=f"ws-{i}", Description="ws", VpcId=vpc)["GroupId"]
        for svc in ["com.amazonaws.vpce.us-east-1.vpce-svc-09143d1e626de2f04",
                    "com.amazonaws.vpce.us-east-1.vpce-svc-00018a8c3ff62ffdf"]:
            ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Interface", ServiceName=svc,
                                    SubnetIds=subnets, SecurityGroupIds=[sg], PrivateDnsEnabled=True)
    ddb = boto3.client("dynamodb", **kw)
    ddb.create_table(TableName="plaudit-bench", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "scope", "AttributeType": "S"},
                                           {"AttributeName": "finding_id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "scope", "KeyType": "HASH"},
                                {"AttributeName": "finding_id", "KeyType": "RANGE"}])
    return boto3.client("sns", **kw).create_topic(Name="plaudit-bench")["TopicArn"]


def run_once(moto, topic, deadline_s):
    Runtime.state = {}
    Runtime.deadline_ms = int(deadline_s * 1000)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ,
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
               AWS_ENDPOINT_URL=moto, AWS_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_EC2_METADATA_DISABLED="true",
               AWS_LAMBDA_FUNCTION_NAME="plaudit", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128", AWS_LAMBDA_LOG_GROUP_NAME="bench",
               AWS_LAMBDA_LOG_STREAM_NAME="bench", AWS_LAMBDA_LOG_LEVEL="warn",
               PLAUDIT_STATE_TABLE="plaudit-bench", PLAUDIT_TOPIC_ARN=topic)
    start = time.monotonic()
    proc = subprocess.Popen([BINARY], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while "done" not in Runtime.state and proc.poll() is None and time.monotonic() - start < deadline_s + 60:
        time.sleep(0.005)
    hwm = None
    try:
        with open(f"/proc/{proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    proc.kill()
    proc.wait()
    server.shutdown()
    st = Runtime.state
    if "done" not in st:
        raise SystemExit("the function did not answer: " + proc.stderr.read().decode()[-2000:])
    path, body = st["result"]
    return {"init_ms": (st["first_next"] - start) * 1000,
            "invoke_s": st["done"] - st["first_next"],
            "peak_rss_mb": hwm, "ok": path.endswith("/response"), "body": json.loads(body)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moto", required=True)
    ap.add_argument("--vpcs", default="10,100,500")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--deadline-s", type=float, default=900,
                    help="the invocation's time limit (Lambda's maximum, 900 s, by default)")
    ap.add_argument("--reuse", action="store_true",
                    help="audit the estate already in moto (built by an earlier run) instead of a new one")
    args = ap.parse_args()
    for n in [int(x) for x in args.vpcs.split(",")]:
        t = time.monotonic()
        if args.reuse:
            topic = "arn:aws:sns:us-east-1:123456789012:plaudit-bench"
        else:
            topic = build_estate(args.moto, n)
            print(f"{n} VPCs built in moto in {time.monotonic() - t:.1f} s")
        for k in range(args.repeat):
            r = run_once(args.moto, topic, args.deadline_s)
            b = r["body"]
            print(f"  run {k + 1}: init {r['init_ms']:.1f} ms, invoke {r['invoke_s']:.2f} s, "
                  f"peak RSS {r['peak_rss_mb']:.1f} MB, ok={r['ok']}, findings {b.get('findings')}, "
                  f"api_calls {b.get('api_calls')}, transitions {b.get('drift', {}).get('transitions')}, "
                  f"alerts {b.get('drift', {}).get('alerts_published')}, deferred {b.get('drift', {}).get('deferred')}, "
                  f"deadline reached {b.get('deadline_reached')}, collection errors {len(b.get('collection_errors', []))}")


if __name__ == "__main__":
    main()
