"""List the severities your plan allows, open a case and read it back, with huaweicloudsdkosm
unchanged.

    export SUPPORTPLAN_URL=http://127.0.0.1:8000
    export HUAWEICLOUD_SDK_AK=SPAK...  HUAWEICLOUD_SDK_SK=...   # from /account/access-keys/
    python docs/examples/huawei_osm.py
"""

import os

from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkosm.v2 import (
    CreateCasesRequest,
    CreateOrderIncidentV2Req,
    ListSeveritiesRequest,
    OsmClient,
    ShowCaseDetailRequest,
)

client = (
    OsmClient.new_builder()
    # domain_id: any value; supportplan knows the organisation from the key.
    .with_credentials(
        GlobalCredentials(
            os.environ["HUAWEICLOUD_SDK_AK"], os.environ["HUAWEICLOUD_SDK_SK"], domain_id="demo"
        )
    )
    .with_endpoints([os.environ["SUPPORTPLAN_URL"]])
    .build()
)
severities = client.list_severities(ListSeveritiesRequest(x_language="zh-cn")).severity_list
print("severities:", ", ".join(f"{s.severity_id}={s.severity_name}" for s in severities))
created = client.create_cases(
    CreateCasesRequest(
        body=CreateOrderIncidentV2Req(
            severity_id=severities[-1].severity_id,
            simple_description="Script check\nOpened by docs/examples/huawei_osm.py.",
        )
    )
)
detail = client.show_case_detail(ShowCaseDetailRequest(case_id=created.incident_id))
print("opened:", created.incident_id, detail.incident_detail_info.status)
