// A real federated graph on loopback: a "tickets" subgraph built by @apollo/subgraph, and an
// Apollo Gateway (the router) composing it with the running SMS gateway by introspecting
// both, served by Apollo Server. Runs each query through the router as a client would, with
// the client's Authorization header, which the router passes on to the SMS gateway since
// that decides what each caller reads; prints one JSON document, the router's answer to each
// query in order, then stops everything.
//
// Usage: node federated_router.mjs SMS_GATEWAY_GRAPHQL_URL AUTHORIZATION RECORD_IDS QUERY...
//   RECORD_IDS is a JSON list of SmsRecord ids; ticket T-n points at the n-th of them.

import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

const [smsUrl, authorization, recordIds, ...queries] = process.argv.slice(2);
const LOOPBACK = { host: "127.0.0.1", port: 0 };
// Apollo's notices go to stderr: stdout carries the JSON document alone.
const logger = { debug() {}, info: console.error, warn: console.error, error: console.error };

const tickets = JSON.parse(recordIds).map((id, index) => ({ number: `T-${index + 1}`, id }));

const ticketsSchema = buildSubgraphSchema({
  typeDefs: parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

    type SmsRecord @key(fields: "id") {
      id: ID!
      ticket: Ticket
    }

    type Ticket {
      number: String!
      record: SmsRecord!
    }

    type Query {
      tickets: [Ticket!]!
    }
  `),
  resolvers: {
    Query: { tickets: () => tickets },
    Ticket: { record: (ticket) => ({ id: ticket.id }) },
    SmsRecord: {
      __resolveReference: (reference) => reference,
      ticket: (record) => tickets.find((ticket) => ticket.id === record.id) ?? null,
    },
  },
});

const ticketsServer = new ApolloServer({ schema: ticketsSchema, logger });
const { url: ticketsUrl } = await startStandaloneServer(ticketsServer, { listen: LOOPBACK });

const gateway = new ApolloGateway({
  logger,
  supergraphSdl: new IntrospectAndCompose({
    subgraphs: [
      { name: "sms", url: smsUrl },
      { name: "tickets", url: ticketsUrl },
    ],
    introspectionHeaders: { authorization },
  }),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request, context }) {
        if (context.authorization) {
          request.http.headers.set("authorization", context.authorization);
        }
      },
    }),
});
const router = new ApolloServer({ gateway, logger });
const { url: routerUrl } = await startStandaloneServer(router, {
  listen: LOOPBACK,
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});

const answers = [];
try {
  for (const query of queries) {
    const response = await fetch(routerUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization },
      body: JSON.stringify({ query }),
    });
    answers.push(await response.json());
  }
} finally {
  await router.stop();
  await ticketsServer.stop();
}

process.stdout.write(JSON.stringify({ answers }));
