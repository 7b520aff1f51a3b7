// The session room: a group chat over a websocket. Messages are numbered by the server (seq);
// after every (re)connection the page asks for what it missed ("sync" after its last seq), and a
// message is resent with the same client_id until acknowledged, so nothing is lost or doubled.

const root = document.getElementById("atelier-room");
const labels = document.getElementById("room-labels").dataset;
const list = document.getElementById("room-messages");
const status = document.getElementById("room-status");
const form = document.getElementById("room-form");
const input = document.getElementById("room-body");
const pinned = document.getElementById("room-pinned");
const pinnedText = document.getElementById("room-pinned-text");
const facilitator = root.dataset.facilitator === "1";
const me = Number(root.dataset.me);

let socket = null;
let lastSeq = 0;
let retry = 500;
const pending = new Map(); // client_id -> body, until acknowledged
const muted = new Set();

function showPinned(message) {
  pinned.hidden = !message;
  pinnedText.textContent = message ? `${message.author.name} : ${message.body}` : "";
}

function render(message) {
  if (message.seq <= lastSeq || list.querySelector(`[data-seq="${message.seq}"]`)) return;
  const item = document.createElement("li");
  item.dataset.seq = message.seq;
  const who = document.createElement("strong");
  who.textContent = message.author.name;
  const time = new Date(message.sent_at).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
  item.append(who, ` (${time}) : `, message.body);
  if (facilitator) {
    const pin = document.createElement("button");
    pin.type = "button";
    pin.className = "fr-btn fr-btn--sm fr-btn--tertiary-no-outline fr-ml-1w";
    pin.textContent = labels.pin;
    pin.addEventListener("click", () => send({ type: "pin", seq: message.seq }));
    item.append(pin);
    if (message.author.role === "seeker" && message.author.id !== me) {
      const mute = document.createElement("button");
      mute.type = "button";
      mute.className = "fr-btn fr-btn--sm fr-btn--tertiary-no-outline";
      mute.dataset.muteUser = message.author.id;
      mute.textContent = muted.has(message.author.id) ? labels.unmute : labels.mute;
      mute.addEventListener("click", () =>
        send({ type: "mute", user_id: message.author.id, muted: !muted.has(message.author.id) }));
      item.append(mute);
    }
  }
  list.append(item);
  lastSeq = Math.max(lastSeq, message.seq);
}

function send(frame) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}${root.dataset.socket}`);
  socket.addEventListener("open", () => {
    retry = 500;
    status.textContent = labels.connected;
    send({ type: "sync", after_seq: lastSeq });
    for (const [clientId, body] of pending) send({ type: "message.send", client_id: clientId, body });
  });
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "welcome") {
      showPinned(frame.pinned);
      if (frame.muted) status.textContent = labels.muted;
    } else if (frame.type === "message.history") {
      frame.messages.forEach(render);
      if (frame.has_more) send({ type: "sync", after_seq: lastSeq });
    } else if (frame.type === "message.new") {
      if (frame.message.seq > lastSeq + 1) send({ type: "sync", after_seq: lastSeq });
      else render(frame.message);
    } else if (frame.type === "message.ack") {
      pending.delete(frame.client_id);
      if (frame.message.seq > lastSeq + 1) send({ type: "sync", after_seq: lastSeq });
      else render(frame.message);
    } else if (frame.type === "pinned") {
      showPinned(frame.message);
    } else if (frame.type === "muted") {
      if (frame.muted) muted.add(frame.user_id); else muted.delete(frame.user_id);
      list.querySelectorAll(`[data-mute-user="${frame.user_id}"]`).forEach((button) => {
        button.textContent = frame.muted ? labels.unmute : labels.mute;
      });
      if (frame.user_id === me) status.textContent = frame.muted ? labels.muted : labels.connected;
    } else if (frame.type === "error") {
      status.textContent = frame.detail;
      if (frame.code === "muted") pending.clear();
    }
  });
  socket.addEventListener("close", () => {
    status.textContent = labels.reconnecting;
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 10000);
  });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const body = input.value.trim();
  if (!body) return;
  const clientId = crypto.randomUUID();
  pending.set(clientId, body);
  send({ type: "message.send", client_id: clientId, body });
  input.value = "";
});

setInterval(() => send({ type: "ping" }), 25000);
connect();
