// Composes subgraphs into a supergraph with Apollo's own composition, as `rover supergraph
// compose` and GraphOS do, and prints one JSON document: the composition errors and hints,
// and, when it composed, each object type of the supergraph with its fields and the
// subgraphs that key it.
//
// Usage: node compose_supergraph.mjs SUBGRAPHS.json
//   SUBGRAPHS.json holds [{"name": ..., "url": ..., "sdl": ...}, ...]

import { readFileSync } from "node:fs";

import { composeServices } from "@apollo/composition";
import { buildASTSchema, isObjectType, parse, valueFromASTUntyped } from "graphql";

const subgraphs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const result = composeServices(
  subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
);

const graphNames = {};
const types = {};
if (!result.errors) {
  const supergraph = buildASTSchema(parse(result.supergraphSdl), { assumeValidSDL: true });
  const joinGraph = supergraph.getType("join__Graph");
  for (const value of joinGraph.getValues()) {
    graphNames[value.name] = value.astNode.directives
      .find((directive) => directive.name.value === "join__graph")
      .arguments.find((argument) => argument.name.value === "name").value.value;
  }
  for (const type of Object.values(supergraph.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__") || type.name.startsWith("join__")) {
      continue;
    }
    const keys = (type.astNode?.directives ?? [])
      .filter((directive) => directive.name.value === "join__type")
      .map((directive) => Object.fromEntries(
        directive.arguments.map((argument) => [argument.name.value, valueFromASTUntyped(argument.value)]),
      ))
      .filter((joined) => joined.key !== undefined)
      .map((joined) => ({ subgraph: graphNames[joined.graph], key: joined.key }));
    types[type.name] = { fields: Object.keys(type.getFields()), keys };
  }
}

process.stdout.write(JSON.stringify({
  errors: (result.errors ?? []).map((error) => ({
    code: error.extensions?.code ?? null,
    message: error.message,
  })),
  hints: (result.hints ?? []).map((hint) => hint.toString()),
  types,
}));
