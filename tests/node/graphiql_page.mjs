// Opens the gateway's GraphiQL page in headless Chromium as a user would: records every
// request the page makes, reads the tabs it opens with, runs the default query, pastes a
// bearer token into the headers editor and runs it again, saves a screenshot, then reloads
// the schema with the token.
// Usage: node graphiql_page.mjs PAGE_URL CHROMIUM TOKEN SCREENSHOT
// Prints one JSON document: {requests, tabs, headersEditorVisible, withoutToken, withToken,
// schemaTypes, pageErrors}.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [pageUrl, executablePath, token, screenshot] = process.argv.slice(2);
const userDataDir = mkdtempSync(join(tmpdir(), "graphiql-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const requests = [];
const pageErrors = [];
context.on("request", (request) => requests.push(request.url()));
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(pageUrl, { waitUntil: "load" });
  await page.locator(".graphiql-query-editor .CodeMirror").waitFor();
  const tabs = await page.locator(".graphiql-tab .graphiql-tab-button").allInnerTexts();
  const headersEditor = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden)");
  const headersEditorVisible =
    (await page.locator('.graphiql-editor-tools [data-name="headers"].active').count()) === 1 &&
    (await headersEditor.isVisible());

  // The response pane's whole text, through CodeMirror (it renders only the lines in view).
  const response = () =>
    page.evaluate(() => document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue());
  // Runs the active tab: the answer the gateway sent, once the response pane shows it.
  const run = async () => {
    const answered = page.waitForResponse(
      (reply) =>
        reply.request().method() === "POST" &&
        !reply.request().postData().includes("IntrospectionQuery"),
    );
    await page.locator(".graphiql-execute-button").click();
    const body = JSON.stringify(await (await answered).json());
    await page.waitForFunction(
      (expected) => {
        const text = document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue();
        try {
          return JSON.stringify(JSON.parse(text)) === expected;
        } catch {
          return false;
        }
      },
      body,
      { timeout: 60000 },
    );
    return JSON.parse(await response());
  };

  const withoutToken = await run();
  await headersEditor.locator(".CodeMirror").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }));
  const withToken = await run();
  await page.screenshot({ path: screenshot });

  // With the token in place, the schema (for completion and the docs) loads on request.
  const introspected = page.waitForResponse((reply) =>
    reply.request().postData()?.includes("IntrospectionQuery"),
  );
  await page.locator('button[aria-label="Re-fetch GraphQL schema"]').click();
  const schema = await (await introspected).json();
  const schemaTypes = (schema.data?.__schema?.types ?? []).map((type) => type.name);
  process.stdout.write(
    JSON.stringify({
      requests,
      tabs,
      headersEditorVisible,
      withoutToken,
      withToken,
      schemaTypes,
      pageErrors,
    }),
  );
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
