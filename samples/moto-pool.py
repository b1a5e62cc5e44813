"""Creates a user pool and an app client in a moto server (python3 -m moto.server)
shaped like samples/pool.json (password policy, custom attributes), and prints the
app client id: the rehearsal pool for `bulk-signup run --endpoint-url`.

Usage: python3 samples/moto-pool.py http://127.0.0.1:5000/ > client-id.txt
"""
import json
import sys

import boto3  # installed with moto

endpoint = sys.argv[1]
with open("samples/pool.json") as f:
    pool = json.load(f)["UserPool"]
# CreateUserPool names custom attributes without their "custom:" prefix.
schema = [
    {
        key: value
        for key, value in attribute.items()
        if key in ("AttributeDataType", "Mutable", "StringAttributeConstraints", "NumberAttributeConstraints")
    }
    | {"Name": attribute["Name"].removeprefix("custom:")}
    for attribute in pool["SchemaAttributes"]
    if attribute["Name"].startswith("custom:")
]
cognito = boto3.client(
    "cognito-idp",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="moto",  # moto takes any credentials
    aws_secret_access_key="moto",
)
created = cognito.create_user_pool(
    PoolName="rehearsal",
    Policies={"PasswordPolicy": pool["Policies"]["PasswordPolicy"]},
    Schema=schema,
)
client = cognito.create_user_pool_client(UserPoolId=created["UserPool"]["Id"], ClientName="bulk-signup")
print(client["UserPoolClient"]["ClientId"])
