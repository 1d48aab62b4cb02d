"""Verifies webhook deliveries with the Standard Webhooks reference library (`standardwebhooks`).

Reads on stdin {"secret": "whsec_...", "deliveries": [{"headers": {name: value}, "body": "..."}]}
and verifies each delivery with `Webhook(secret).verify(body, headers)`. If all verify, prints
{"verified": N, "payloads": [parsed bodies, in order]} and exits 0; otherwise prints
{"failed": index, "error": "..."} for the first delivery refused and exits 1."""
import json
import sys

from standardwebhooks import Webhook

request = json.load(sys.stdin)
webhook = Webhook(request["secret"])
payloads = []
for index, delivery in enumerate(request["deliveries"]):
    try:
        payloads.append(webhook.verify(delivery["body"], delivery["headers"]))
    except Exception as error:  # the library's WebhookVerificationError and malformed headers
        json.dump({"failed": index, "error": f"{type(error).__name__}: {error}"}, sys.stdout)
        sys.exit(1)
json.dump({"verified": len(payloads), "payloads": payloads}, sys.stdout)
