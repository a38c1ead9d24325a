// Walks a running gateway with Apollo Client as a frontend would: an InMemoryCache whose
// `smsRecords` field merges pages with relayStylePagination(["filter", "orderBy"]), fetchMore
// forward from the start to the end, then (in a fresh cache) backward from the end to the
// start, every request sent as an automatic persisted query (hash-only GET first).
//
// usage: node apollo_walk.mjs GRAPHQL_URL FILTER_JSON ORDER PAGE_SIZE
// prints: {"forward": {"ids", "pages"}, "backward": {"ids", "pages"}, "requests": [...]},
// where each request is {method, sentDocument, sentHash, status, notFound}.

import { createHash } from "node:crypto";
import { firstValueFrom } from "rxjs";
import { filter as where } from "rxjs/operators";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { relayStylePagination } from "@apollo/client/utilities";

const [url, filterJson, orderBy, pageSize] = process.argv.slice(2);
const filter = JSON.parse(filterJson);
const size = Number(pageSize);

const PAGE = gql`
  query ApolloWalk(
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: SmsRecordFilter
    $orderBy: SmsRecordOrder!
  ) {
    smsRecords(
      first: $first
      after: $after
      last: $last
      before: $before
      filter: $filter
      orderBy: $orderBy
    ) {
      edges {
        cursor
        node {
          id
          createdAt
          provider {
            name
          }
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`;

const requests = [];

/** Node's fetch, noting what each request carried and whether it was told to send its
 * document. */
async function countingFetch(input, init = {}) {
  const method = (init.method ?? "GET").toUpperCase();
  const sent =
    method === "GET"
      ? Object.fromEntries(new URL(String(input)).searchParams)
      : JSON.parse(init.body);
  const extensions =
    typeof sent.extensions === "string" ? JSON.parse(sent.extensions) : sent.extensions;
  const response = await fetch(input, init);
  const body = await response.clone().json();
  requests.push({
    method,
    sentDocument: typeof sent.query === "string",
    sentHash: Boolean(extensions?.persistedQuery?.sha256Hash),
    status: response.status,
    notFound: (body.errors ?? []).some(
      (error) => error.extensions?.code === "PERSISTED_QUERY_NOT_FOUND",
    ),
  });
  return response;
}

const link = new PersistedQueryLink({
  sha256: (document) => createHash("sha256").update(document).digest("hex"),
  useGETForHashedQueries: true,
}).concat(new HttpLink({ uri: url, fetch: countingFetch }));

function newClient() {
  return new ApolloClient({
    link,
    cache: new InMemoryCache({
      typePolicies: {
        Query: { fields: { smsRecords: relayStylePagination(["filter", "orderBy"]) } },
      },
    }),
  });
}

/** Pages of `size` one way until the merged list reaches that end; the ids of the list the
 * cache holds then. */
async function walk(forward) {
  const client = newClient();
  const start = forward ? { first: size } : { last: size };
  const variables = { ...start, filter, orderBy };
  const observable = client.watchQuery({ query: PAGE, variables });
  const watching = observable.subscribe({});
  try {
    const first = await firstValueFrom(observable.pipe(where((result) => !result.loading)));
    let connection = first.data.smsRecords;
    let pages = 1;
    while (forward ? connection.pageInfo.hasNextPage : connection.pageInfo.hasPreviousPage) {
      const resume = forward
        ? { after: connection.pageInfo.endCursor }
        : { before: connection.pageInfo.startCursor };
      const more = await observable.fetchMore({ variables: resume });
      if (more.error || more.errors) {
        throw new Error(`page ${pages + 1}: ${JSON.stringify(more.error ?? more.errors)}`);
      }
      connection = client.readQuery({ query: PAGE, variables }).smsRecords;
      pages += 1;
    }
    return { ids: connection.edges.map((edge) => edge.node.id), pages };
  } finally {
    watching.unsubscribe();
    client.stop();
  }
}

const forward = await walk(true);
const backward = await walk(false);
process.stdout.write(JSON.stringify({ forward, backward, requests }));
