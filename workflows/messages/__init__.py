"""What travels between the API, the workflows and the activities, one module a workflow.

`complaint`, `slip` and `campaign` hold each workflow's input, Updates, Signals and Query
answers; `activities` the requests and answers of the activities the workflows call. The
records the workflows write to the store are the contract in `domain.records`.

Plain keyword-only dataclasses, serialised by the pydantic data converter (by field name, into
recorded histories: never rename or drop a field) and encrypted by the payload codec.
"""
