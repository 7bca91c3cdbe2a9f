"""Mighty's webhooks for local development: the published events and their payloads, a
listener that checks deliveries as Mighty sends them, and synthetic deliveries to test a
handler with.

What a delivery is, from Mighty's published Admin API description: a POST with a JSON body
``{event_id (uuid), event_timestamp, payload}``, one payload schema per event, answered with
any 2xx to confirm it ("Any other response will cause the webhook to retry up to 5 times, over a
period of several hours"). The description states no signature. The GraphQL schema's
``WebhookCallback.apiKey`` is a "secret sent with each delivery so the endpoint can verify the
request"; a maintained client library reads it as ``Authorization: Bearer <secret>`` and the
event's type from an ``event_type`` key of the body, spelled ``POST_CREATED``, ``PostCreated``
or ``MemberJoinedHook``. Both are modelled here as that library describes them.

Nothing here prints, prompts or exits: the command line (``mightycli.cli.webhooks``) does.
"""
