// One CarrierX account's SMS Detail Records as a JSON-schema source, composed into a
// supergraph that Hive Gateway serves. bench/peer.py sets CARRIERX_URL and CARRIERX_TOKEN.
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadJSONSchemaSubgraph } from '@omnigraph/json-schema';

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadJSONSchemaSubgraph('CarrierX', {
        endpoint: process.env.CARRIERX_URL!,
        operationHeaders: { Authorization: `Bearer ${process.env.CARRIERX_TOKEN}` },
        operations: [
          {
            type: 'Query',
            field: 'messageDrs',
            path: '/sms/message_drs?limit={args.limit}&order={args.order}',
            method: 'GET',
            argTypeMap: { limit: { type: 'integer' }, order: { type: 'string' } },
            responseSchema: './message_drs.json',
          },
        ],
      }),
    },
  ],
});
