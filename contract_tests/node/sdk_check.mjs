// Drives Novu's TypeScript SDK against NOVU_TARGET_URL with NOVU_API_KEY, as a Node backend would,
// and prints one JSON object: each step's result ({ok: true, value}) or error ({ok: false, ...}).
// The SDK checks every answer against its own zod models, so a step passes only when the target
// answers in the shapes Novu's SDK expects (envelopes included).
import { Novu } from "@novu/api";

const novu = new Novu({
  secretKey: process.env.NOVU_API_KEY,
  serverURL: process.env.NOVU_TARGET_URL,
  retryConfig: { strategy: "none" },
});
const subscriberId = process.env.SUBSCRIBER_ID;
const workflowId = process.env.WORKFLOW_ID;
const report = {};

async function step(name, run) {
  try {
    report[name] = { ok: true, value: await run() };
  } catch (error) {
    // a validation error of the SDK names every field of the answer its models refused
    const detail = typeof error?.pretty === "function" ? error.pretty() : String(error?.message ?? error);
    report[name] = { ok: false, error: detail.slice(0, 4000), status: error?.statusCode ?? null };
  }
}

await step("integrations.list", async () => (await novu.integrations.list()).result.map((i) => i.identifier));
await step("integrations.listActive", async () => (await novu.integrations.listActive()).result.length);
await step("subscribers.create", async () =>
  (await novu.subscribers.create({ subscriberId, firstName: "Ada", email: "ada@example.com" })).result.subscriberId);
await step("subscribers.retrieve", async () => (await novu.subscribers.retrieve(subscriberId)).result.firstName);
await step("subscribers.patch", async () =>
  (await novu.subscribers.patch({ lastName: "Lovelace" }, subscriberId)).result.lastName);
await step("subscribers.search", async () => {
  const page = (await novu.subscribers.search({ limit: 2 })).result;
  return { count: page.data.length, hasNext: page.next !== null && page.next !== undefined };
});
await step("trigger", async () => {
  const answer = (await novu.trigger({ workflowId, to: subscriberId, payload: { author: "Ada", message: "hi" } })).result;
  return { acknowledged: answer.acknowledged, transactionId: answer.transactionId };
});
await step("notifications.feed", async () => {
  const feed = (await novu.subscribers.notifications.feed({ subscriberId })).result;
  return feed.data.length;
});
await step("notifications.unseenCount", async () =>
  (await novu.subscribers.notifications.unseenCount({ subscriberId })).result.count);
await step("subscriberNotifications.list", async () =>
  (await novu.subscribers.notifications.list({ subscriberId })).result.data.length);
await step("messages.retrieve", async () => (await novu.messages.retrieve({ subscriberId })).result.data.length);
await step("activity.list", async () => (await novu.notifications.list({ subscriberIds: [subscriberId] })).result.data.length);
await step("preferences.list", async () => typeof (await novu.subscribers.preferences.list({ subscriberId })).result.global);
await step("channelConnections.list", async () => (await novu.channelConnections.list({ limit: 5 })).result.data.length);
await step("channelEndpoints.list", async () => (await novu.channelEndpoints.list({ limit: 5 })).result.data.length);
await step("subscribers.delete", async () => (await novu.subscribers.delete(subscriberId)).result.acknowledged);
await step("subscribers.retrieve.deleted", async () => (await novu.subscribers.retrieve(subscriberId)).result.subscriberId);

console.log(JSON.stringify(report));
