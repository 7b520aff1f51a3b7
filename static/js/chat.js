// The chat's browser client (docs/protocol.md): one websocket per conversation page.
// It never trusts the socket to deliver everything: on every (re)connection it syncs from the
// last seq it holds, and it resends every unacknowledged message with its original client_id,
// which the server turns into the same message, never a second one.

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15000;
const PING_EVERY_MS = 25000;
const TYPING_EVERY_MS = 2000;
const TYPING_SHOWN_MS = 4000;
const RATE_LIMIT_RETRY_MS = 3000;
const MAX_BODY = 4000;

function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  // Outside secure contexts randomUUID is missing: a version-4 UUID from getRandomValues.
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

/** Full jitter: a random wait between 0 and the capped exponential step. */
export function backoffDelay(attempt, random = Math.random) {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.max(100, Math.floor(random() * step));
}

export class ChatClient {
  constructor(root) {
    this.root = root;
    this.path = root.dataset.chatSocket;
    this.conversationId = root.dataset.conversationId;
    this.userId = Number(root.dataset.userId);
    this.readUpTo = Number(root.dataset.readUpTo || 0);
    this.log = root.querySelector("[data-chat-log]");
    this.empty = root.querySelector("[data-chat-empty]");
    this.connection = root.querySelector("[data-chat-connection]");
    this.typingLine = root.querySelector("[data-chat-typing]");
    this.announcer = root.querySelector("[data-chat-announcer]");
    this.form = root.querySelector("[data-chat-form]");
    this.textarea = this.form.querySelector("textarea");
    this.uploadForm = root.querySelector("[data-chat-upload]");
    const strings = document.getElementById("chat-strings");
    this.t = strings ? JSON.parse(strings.textContent) : {};
    this.storageKey = `chat:pending:${this.conversationId}`;

    this.socket = null;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.retryTimer = null;
    this.pingTimer = null;
    this.typingTimer = null;
    this.lastTypingSent = 0;
    this.syncing = false;
    this.stopped = false;
    this.seqs = new Set();
    this.lastSeq = 0; // highest seq held with every seq before it
    this.pending = new Map(); // client_id -> body, until acknowledged
    this.sentRead = 0;

    for (const item of this.log.querySelectorAll("li[data-seq]")) {
      this.seqs.add(Number(item.dataset.seq));
    }
    this.advanceLastSeq();
    this.restorePending();
    this.bind();
  }

  // Connection -------------------------------------------------------------------------------

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.socket) this.socket.close();
  }

  url() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}${this.path}`;
  }

  connect() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.stopped) return;
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return;
    this.setConnection(this.attempt === 0 ? "connecting" : "reconnecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("open", () => this.onOpen(socket));
    socket.addEventListener("message", (event) => this.onFrame(event));
    socket.addEventListener("close", () => this.onClose(socket));
  }

  onOpen(socket) {
    if (socket !== this.socket) return;
    this.attempt = 0;
    this.setConnection("connected");
    this.sync();
    this.flushPending();
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.send({ type: "ping" }), PING_EVERY_MS);
  }

  onClose(socket) {
    if (socket !== this.socket) return;
    clearInterval(this.pingTimer);
    this.socket = null;
    this.syncing = false;
    if (this.stopped) return;
    this.setConnection("reconnecting");
    this.markPendingWaiting();
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  send(frame) {
    if (!this.isOpen()) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  setConnection(state) {
    this.root.dataset.connection = state;
    if (this.connection) this.connection.textContent = this.t[state] || state;
  }

  // Frames from the server --------------------------------------------------------------------

  onFrame(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    switch (frame.type) {
      case "message.ack":
        this.pending.delete(frame.client_id);
        this.savePending();
        this.addMessage(frame.message, { announce: false });
        break;
      case "message.new":
        this.addMessage(frame.message, { announce: true });
        this.markRead();
        break;
      case "message.history":
        this.syncing = false;
        for (const message of frame.messages) this.addMessage(message, { announce: true });
        this.applyRead(frame.read_up_to || 0);
        if (frame.has_more) this.sync();
        this.markRead();
        break;
      case "read.receipt":
        this.applyRead(frame.up_to_seq);
        break;
      case "typing":
        this.showTyping(frame.author);
        break;
      case "resync":
        // The server's channel layer may have lost events for this socket: ask for them.
        this.syncing = false;
        this.sync();
        break;
      case "pong":
        // The server's last seq: a message whose event never came (dropped by a busy server)
        // is fetched now rather than when the next one reveals the gap.
        if (Number.isInteger(frame.last_seq) && frame.last_seq > this.lastSeq) this.sync();
        break;
      case "error":
        this.onError(frame);
        break;
      default:
        break;
    }
  }

  onError(frame) {
    if (frame.code === "rate_limited") {
      setTimeout(() => this.flushPending(), RATE_LIMIT_RETRY_MS);
    } else if (frame.code === "server_error") {
      // The server could not store or read (its database restarting) and the socket stays
      // open: ask again in a moment, or the message would wait until the next reconnection.
      // A message sent twice is stored once (its client_id).
      this.syncing = false;
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.sync();
        this.flushPending();
      }, RATE_LIMIT_RETRY_MS);
    }
    this.announce(frame.detail);
  }

  sync() {
    if (this.syncing) return;
    this.syncing = this.send({ type: "sync", after_seq: this.lastSeq });
  }

  // Messages ----------------------------------------------------------------------------------

  advanceLastSeq() {
    while (this.seqs.has(this.lastSeq + 1)) this.lastSeq += 1;
  }

  addMessage(message, { announce }) {
    if (this.pending.delete(message.client_id)) this.savePending();
    if (this.seqs.has(message.seq)) return; // never twice
    this.seqs.add(message.seq);
    const mine = message.author.id === this.userId;
    const existing = this.log.querySelector(
      `li[data-client-id="${CSS.escape(message.client_id)}"]`,
    );
    const item = this.renderMessage(message, mine);
    if (existing) existing.remove();
    this.insertInOrder(item, message.seq);
    if (mine) {
      this.setState(item, message.seq <= this.readUpTo ? "read" : "sent");
    } else {
      // Whoever writes has read everything before their message.
      this.applyRead(message.seq - 1);
    }
    if (this.empty) this.empty.hidden = true;

    const before = this.lastSeq;
    this.advanceLastSeq();
    if (message.seq > before + 1 && this.lastSeq < message.seq) {
      // A seq is missing: the channel layer dropped or reordered something. Ask for it.
      this.sync();
    }
    if (announce && !mine) {
      const body = message.body || (message.attachment ? message.attachment.name : "");
      this.announce(format(this.t.newMessage || "%(name)s: %(body)s", {
        name: message.author.name,
        body,
      }));
      this.hideTyping();
    }
  }

  insertInOrder(item, seq) {
    for (const other of this.log.querySelectorAll("li[data-seq]")) {
      if (Number(other.dataset.seq) > seq) {
        this.log.insertBefore(item, other);
        return;
      }
    }
    // Unsent messages of mine stay at the bottom, after every stored one.
    const firstPending = this.log.querySelector("li[data-pending]");
    this.log.insertBefore(item, firstPending);
  }

  renderMessage(message, mine) {
    const item = document.createElement("li");
    item.className = mine ? "chat-message chat-message--mine" : "chat-message";
    item.dataset.seq = String(message.seq);
    item.dataset.clientId = message.client_id;
    item.dataset.authorId = String(message.author.id);
    const meta = document.createElement("p");
    meta.className = "chat-meta";
    const author = document.createElement("strong");
    author.className = "chat-author";
    author.textContent = message.author.name;
    const time = document.createElement("time");
    time.dateTime = message.sent_at;
    time.textContent = new Date(message.sent_at).toLocaleString(document.documentElement.lang, {
      dateStyle: "short",
      timeStyle: "short",
    });
    meta.append(author, " ", time);
    item.append(meta);
    if (message.body) {
      const body = document.createElement("div");
      body.className = "chat-body";
      // body_html is the server's rendering: escaped text, links sanitised by nh3.
      body.innerHTML = message.body_html;
      item.append(body);
    }
    if (message.attachment) {
      const file = document.createElement("p");
      file.className = "chat-file";
      const link = document.createElement("a");
      link.href = message.attachment.url;
      link.setAttribute("download", "");
      link.textContent = format(this.t.file || "%(name)s", { name: message.attachment.name });
      file.append(link);
      item.append(file);
    }
    if (mine) {
      const state = document.createElement("p");
      state.className = "chat-state";
      item.append(state);
    }
    return item;
  }

  renderPending(clientId, body) {
    const item = document.createElement("li");
    item.className = "chat-message chat-message--mine";
    item.dataset.clientId = clientId;
    item.dataset.pending = "";
    const text = document.createElement("div");
    text.className = "chat-body";
    text.textContent = body;
    const state = document.createElement("p");
    state.className = "chat-state";
    item.append(text, state);
    this.log.append(item);
    if (this.empty) this.empty.hidden = true;
    this.setState(item, this.isOpen() ? "sending" : "failed");
    return item;
  }

  setState(item, state) {
    const line = item.querySelector(".chat-state");
    if (!line) return;
    line.dataset.state = state;
    line.textContent = this.t[state] || state;
  }

  applyRead(upTo) {
    if (upTo <= this.readUpTo) return;
    this.readUpTo = upTo;
    for (const item of this.log.querySelectorAll("li.chat-message--mine[data-seq]")) {
      if (Number(item.dataset.seq) <= upTo) this.setState(item, "read");
    }
  }

  markRead() {
    if (document.visibilityState !== "visible" || this.lastSeq <= this.sentRead) return;
    if (this.send({ type: "read", up_to_seq: this.lastSeq })) this.sentRead = this.lastSeq;
  }

  // Sending -----------------------------------------------------------------------------------

  submit() {
    const body = this.textarea.value;
    if (!body.trim() || body.length > MAX_BODY) return;
    const clientId = newClientId();
    this.pending.set(clientId, body);
    this.savePending();
    this.renderPending(clientId, body);
    this.textarea.value = "";
    this.send({ type: "message.send", client_id: clientId, body });
  }

  flushPending() {
    for (const [clientId, body] of this.pending) {
      const item = this.log.querySelector(`li[data-client-id="${CSS.escape(clientId)}"]`);
      if (item && item.dataset.pending !== undefined) this.setState(item, "sending");
      this.send({ type: "message.send", client_id: clientId, body });
    }
  }

  markPendingWaiting() {
    for (const item of this.log.querySelectorAll("li[data-pending]")) this.setState(item, "failed");
  }

  savePending() {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify([...this.pending]));
    } catch {
      // Private browsing may refuse storage: pending messages then live as long as the page.
    }
  }

  restorePending() {
    let saved = [];
    try {
      saved = JSON.parse(localStorage.getItem(this.storageKey) || "[]");
    } catch {
      saved = [];
    }
    for (const [clientId, body] of saved) {
      if (this.log.querySelector(`li[data-client-id="${CSS.escape(clientId)}"]`)) continue;
      this.pending.set(clientId, body);
      this.renderPending(clientId, body);
    }
  }

  // Typing, announcements, files --------------------------------------------------------------

  onInput() {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_EVERY_MS) return;
    if (this.send({ type: "typing" })) this.lastTypingSent = now;
  }

  showTyping(author) {
    if (!this.typingLine) return;
    this.typingLine.textContent = format(this.t.typing || "%(name)s…", { name: author.name });
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_SHOWN_MS);
  }

  hideTyping() {
    if (this.typingLine) this.typingLine.textContent = "";
  }

  announce(text) {
    if (!this.announcer || !text) return;
    this.announcer.textContent = text;
  }

  async upload() {
    const data = new FormData(this.uploadForm);
    let response;
    try {
      response = await fetch(this.uploadForm.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch {
      this.announce(this.t.uploadFailed);
      return;
    }
    const frame = await response.json().catch(() => ({}));
    if (response.ok && frame.message) {
      this.addMessage(frame.message, { announce: false });
      this.uploadForm.reset();
      const clientId = this.uploadForm.querySelector('input[name="client_id"]');
      if (clientId) clientId.value = newClientId();
    } else {
      this.announce(frame.detail || this.t.uploadFailed);
    }
  }

  bind() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
      this.textarea.focus();
    });
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.textarea.addEventListener("input", () => this.onInput());
    if (this.uploadForm) {
      this.uploadForm.addEventListener("submit", (event) => {
        event.preventDefault();
        this.upload();
      });
    }
    document.addEventListener("visibilitychange", () => this.markRead());
    window.addEventListener("online", () => {
      this.attempt = 0;
      this.connect();
    });
  }
}

const root = document.querySelector("[data-chat-socket]");
if (root) {
  const client = new ChatClient(root);
  root.chatClient = client; // reachable from the console and from browser tests
  client.start();
}
