"""List the severities your plan allows, open a case and read it back, with boto3 unchanged.

export SUPPORTPLAN_URL=http://127.0.0.1:8000
export AWS_ACCESS_KEY_ID=SPAK...  AWS_SECRET_ACCESS_KEY=...   # from /account/access-keys/
python docs/examples/aws_support.py
"""

import os

import boto3

support = boto3.client(
    "support",
    endpoint_url=os.environ["SUPPORTPLAN_URL"].rstrip("/") + "/compat/aws-support",
    region_name="us-east-1",
)
levels = support.describe_severity_levels(language="zh")["severityLevels"]
print("severities:", ", ".join(f"{s['code']}={s['name']}" for s in levels))
case = support.create_case(
    subject="Script check",
    communicationBody="Opened by docs/examples/aws_support.py.",
    severityCode=levels[0]["code"],
    language="zh",
)
found = support.describe_cases(caseIdList=[case["caseId"]])["cases"][0]
print("opened:", found["caseId"], found["status"], found["severityCode"])
