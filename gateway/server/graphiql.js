// Starts GraphiQL on the example queries, each in its own tab, with the headers editor open
// for an Authorization header, which is not kept in the browser's storage. Requests go to
// this page's own URL with the browser's same-origin credentials, as Strawberry's page sends
// them.
const tabs = JSON.parse(document.getElementById("graphiql-tabs").textContent);
const fetcher = GraphiQL.createFetcher({
  url: window.location.href.split("?")[0],
  headers: {},
});
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultTabs: tabs,
    defaultQuery: tabs[0].query,
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    inputValueDeprecation: true,
  }),
);
