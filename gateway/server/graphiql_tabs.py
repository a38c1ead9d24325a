"""The tabs GraphiQL opens with: the README's example queries, in its order, each under a
comment saying what it shows, with variables a user can run at once or fill in."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExampleTab:
    comment: str
    document: str
    variables: dict[str, object] = field(default_factory=dict)

    def as_graphiql(self) -> dict[str, str]:
        """The tab as GraphiQL's `defaultTabs` takes it: the editors' texts."""
        tab = {"query": f"# {self.comment}\n{self.document}\n"}
        if self.variables:
            tab["variables"] = json.dumps(self.variables, indent=2)
        return tab


EXAMPLE_TABS = (
    ExampleTab(
        "First page, newest first (the default order). Run it with Ctrl-Enter.",
        """query FirstPage {
  smsRecords(first: 10) {
    edges { cursor node { id provider { name } createdAt direction from to status body price } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    providerStatus { provider ok code message }
  }
}""",
    ),
    ExampleTab(
        "Next page: a page's pageInfo.endCursor as `after`.",
        """query Next($after: String) {
  smsRecords(first: 10, after: $after) {
    nodes { id createdAt from to status }
    pageInfo { hasNextPage endCursor }
  }
}""",
        {"after": None},
    ),
    ExampleTab(
        "Backward page: `last` with a page's startCursor as `before`.",
        """query Previous($before: String) {
  smsRecords(last: 10, before: $before) {
    nodes { id createdAt }
    pageInfo { hasPreviousPage startCursor }
  }
}""",
        {"before": None},
    ),
    ExampleTab(
        "Filter and order (send the same with every cursor of a walk).",
        """query Filtered {
  smsRecords(
    first: 20
    orderBy: CREATED_AT_ASC
    filter: {
      direction: OUTBOUND, statuses: [DELIVERED, SENT], type: SMS, providers: ["carrierx-demo"]
    }
  ) {
    nodes { id createdAt from to status type }
  }
}""",
    ),
    ExampleTab(
        "By phone number (E.164) and time: take a number and a date from records you have seen.",
        """query ByNumber($number: String!, $since: DateTime!) {
  smsRecords(first: 20, filter: { number: $number, createdAfter: $since }) {
    nodes { id createdAt from to groupRecipients }
  }
}""",
        {"number": "+1…", "since": "YYYY-MM-DDT00:00:00Z"},
    ),
    ExampleTab(
        "One record by its id: take an id from the first tab.",
        """query One($id: ID!) {
  node(id: $id) { ... on SmsRecord { id providerRecordId createdAt body userData raw } }
}""",
        {"id": "…"},
    ),
    ExampleTab(
        "Several records by id, in the order asked (null where an id does not exist).",
        """query Many($ids: [ID!]!) {
  nodes(ids: $ids) { id ... on SmsRecord { createdAt } }
}""",
        {"ids": []},
    ),
    ExampleTab(
        "Store text on a CarrierX record (DIDforSale answers UNSUPPORTED_BY_PROVIDER).",
        """mutation Tag($id: ID!) {
  updateSmsRecordUserData(input: { id: $id, userData: "ticket #1184", clientMutationId: "m1" }) {
    smsRecord { id userData updatedAt }
    clientMutationId
    errors { code message field }
  }
}""",
        {"id": "…"},
    ),
    ExampleTab(
        "Totals per account and day (Chicago time), without paging.",
        """query Totals {
  smsRecordStats(groupBy: [PROVIDER, DAY], timeZone: "America/Chicago") {
    total { count segments price unpricedCount }
    buckets { key { provider day } count segments price unpricedCount }
    complete
    providerStatus { provider ok code message }
  }
}""",
    ),
)
