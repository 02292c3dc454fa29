// Novu's browser SDK, @novu/js, against a target by apiUrl and socketUrl alone: a session, the
// list, a notification arriving live on the socket after a REST trigger, read (and the unread
// count the socket pushes), count, archive and preferences. Prints one JSON line:
// {step: {ok, value | error}}. Driven by contract_tests/test_frontend_node.py.
import { Novu } from '@novu/js';

const { TARGET_URL, APPLICATION_IDENTIFIER, API_KEY, SUBSCRIBER_ID, WORKFLOW_ID } = process.env;
const report = {};
const TIMEOUT_MS = 10_000;

async function step(name, run) {
  try {
    report[name] = { ok: true, value: await run() };
  } catch (error) {
    report[name] = { ok: false, error: String(error && error.stack ? error.stack : error) };
  }
  return report[name].ok ? report[name].value : undefined;
}

function nextEvent(novu, name) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    const off = novu.on(name, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

function unwrap({ data, error }) {
  if (error) throw error;
  return data;
}

async function trigger(message) {
  const answer = await fetch(`${TARGET_URL}/v1/events/trigger`, {
    method: 'POST',
    headers: { Authorization: `ApiKey ${API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: WORKFLOW_ID, to: SUBSCRIBER_ID, payload: { message } }),
  });
  if (answer.status !== 201) throw new Error(`trigger answered ${answer.status}: ${await answer.text()}`);
  return (await answer.json()).data.transactionId;
}

const novu = new Novu({
  applicationIdentifier: APPLICATION_IDENTIFIER,
  subscriber: SUBSCRIBER_ID,
  apiUrl: TARGET_URL,
  socketUrl: TARGET_URL,
});

const session = nextEvent(novu, 'session.initialize.resolved');
await step('session', async () => {
  const { data, error } = await session;
  if (error) throw error;
  return { unreadCount: data.unreadCount, hasToken: typeof data.token === 'string' };
});

await step('notifications.list.empty', async () => unwrap(await novu.notifications.list({ limit: 10 })).notifications.length);

// listening to a socket event opens the socket (socket.io, transports: websocket, query token)
const connected = nextEvent(novu, 'socket.connect.resolved');
const received = nextEvent(novu, 'notifications.notification_received');
const unreadAfterTrigger = nextEvent(novu, 'notifications.unread_count_changed');
await step('socket.connect', async () => {
  const { error } = await connected;
  if (error) throw error;
  return true;
});

const transactionId = await step('trigger', () => trigger('live from the backend'));
const live = await step('socket.notification_received', async () => {
  const { result } = await received;
  return { id: result.id, body: result.body, subject: result.subject, isRead: result.isRead, isSeen: result.isSeen,
           transactionId: result.transactionId, channelType: result.channelType };
});
await step('socket.unread_count_changed.trigger', async () => (await unreadAfterTrigger).result);

const listed = await step('notifications.list', async () => {
  const { notifications } = unwrap(await novu.notifications.list({ limit: 10, useCache: false }));
  return notifications.map((item) => ({ id: item.id, body: item.body, isRead: item.isRead, transactionId: item.transactionId }));
});

const unreadAfterRead = nextEvent(novu, 'notifications.unread_count_changed');
await step('notifications.read', async () => {
  const notification = unwrap(await novu.notifications.read({ notificationId: live.id }));
  return { id: notification.id, isRead: notification.isRead, isSeen: notification.isSeen };
});
await step('socket.unread_count_changed.read', async () => (await unreadAfterRead).result);
await step('notifications.count.unread', async () => unwrap(await novu.notifications.count({ read: false })).count);

await trigger('a second one');
await step('notifications.count.filters', async () =>
  unwrap(await novu.notifications.count({ filters: [{ read: false }, { read: true }, { archived: true }] })).counts.map(
    (item) => item.count,
  ),
);
await step('notifications.archive', async () => {
  const notification = unwrap(await novu.notifications.archive({ notificationId: live.id }));
  return { id: notification.id, isArchived: notification.isArchived };
});
await step('notifications.count.archived', async () => unwrap(await novu.notifications.count({ archived: true })).count);

await step('preferences.list', async () =>
  unwrap(await novu.preferences.list()).map((preference) => ({
    level: preference.level,
    workflow: preference.workflow ? preference.workflow.identifier : null,
    inApp: preference.channels ? preference.channels.in_app : undefined,
  })),
);

report.context = { transactionId, listedIds: listed ? listed.map((item) => item.id) : null };
await novu.socket.disconnect();
console.log(JSON.stringify(report));
process.exit(0);
