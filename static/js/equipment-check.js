// The browser's side of the equipment check: camera and microphone, a WebRTC connection to the
// server's measuring peer, the throughput probe over a data channel, and the verdict display.
// The verdict itself is computed on the server; this module only shows it.

const root = document.querySelector("[data-equipment-check]");
const config = JSON.parse(document.getElementById("equipment-check-config").textContent);
const messages = config.messages;
const part = (role) => root.querySelector(`[data-role="${role}"]`);
const startButton = part("start");
const preview = part("preview");
const statusLine = part("status");
const result = part("result");

let current = null;

function supported() {
  return Boolean(
    window.RTCPeerConnection && window.WebSocket && navigator.mediaDevices?.getUserMedia,
  );
}

async function browserErrorCode(error) {
  const name = error?.name;
  if (["NotAllowedError", "SecurityError", "PermissionDeniedError"].includes(name)) {
    return "permission_denied";
  }
  if (["NotReadableError", "TrackStartError", "AbortError"].includes(name)) {
    return "camera_busy";
  }
  if (["NotFoundError", "DevicesNotFoundError", "OverconstrainedError"].includes(name)) {
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      if (!devices.some((device) => device.kind === "videoinput")) return "no_camera";
      if (!devices.some((device) => device.kind === "audioinput")) return "no_microphone";
    } catch {
      // Without the list, a missing camera is the likelier cause.
    }
    return "no_camera";
  }
  return "unsupported_browser";
}

function socketUrl() {
  const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  return scheme + window.location.host + config.path;
}

function openSocket() {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(socketUrl());
    socket.addEventListener("open", () => resolve(socket), { once: true });
    socket.addEventListener("error", () => reject(new Error("socket")), { once: true });
  });
}

function setStatus(text) {
  statusLine.textContent = text || "";
}

function alertBox(kind, title, lines) {
  const box = document.createElement("div");
  box.className = `fr-alert fr-alert--${kind} fr-mb-2w`;
  const heading = document.createElement("h3");
  heading.className = "fr-alert__title";
  heading.textContent = title;
  box.append(heading);
  if (lines.length) {
    const list = document.createElement("ul");
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    }
    box.append(list);
  }
  return box;
}

function showVerdict(verdict) {
  const kind = { passed: "success", warnings: "warning" }[verdict.verdict] || "error";
  result.replaceChildren(
    alertBox(kind, verdict.headline, verdict.reasons.map((reason) => reason.text)),
  );
  if (verdict.enrolment_text) {
    const done = document.createElement("p");
    done.textContent = verdict.enrolment_text;
    const link = document.createElement("a");
    link.className = "fr-btn";
    link.href = verdict.next_url;
    link.textContent = messages.home;
    result.append(done, link);
    // Enrolled: the way on is their space, not another test.
    startButton.hidden = true;
  }
}

function showProblem(text) {
  result.replaceChildren(alertBox("error", text, []));
}

// The probe protocol of equipment.measure.Probe: the server leads, the browser answers.
function answerProbe(channel) {
  let received = 0;
  let reported = 0;
  channel.binaryType = "arraybuffer";
  channel.addEventListener("message", (event) => {
    if (typeof event.data !== "string") {
      received += event.data.byteLength;
      if (received - reported >= 65536) {
        reported = received;
        channel.send(`down-progress ${received}`);
      }
      return;
    }
    const [verb, value] = event.data.split(" ");
    if (verb === "ping") channel.send(`pong ${value}`);
    else if (verb === "up") upload(channel, Number.parseInt(value, 10) || 0);
    else if (verb === "down") received = reported = 0;
    else if (verb === "down-done") channel.send(`down-ack ${received}`);
  });
}

async function upload(channel, size) {
  const chunk = new Uint8Array(16384);
  channel.bufferedAmountLowThreshold = 262144;
  for (let sent = 0; sent < size; sent += chunk.length) {
    if (channel.readyState !== "open") return;
    if (channel.bufferedAmount > 1048576) {
      await new Promise((resolve) =>
        channel.addEventListener("bufferedamountlow", resolve, { once: true }),
      );
    }
    channel.send(size - sent >= chunk.length ? chunk : chunk.subarray(0, size - sent));
  }
  channel.send("up-done");
}

function gatheringDone(pc, limitMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, limitMs);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function cleanUp() {
  if (current) {
    const { pc, socket, stream, timer } = current;
    clearTimeout(timer);
    if (pc) pc.close();
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
    if (stream) {
      for (const track of stream.getTracks()) track.stop();
    }
    preview.srcObject = null;
    preview.hidden = true;
    current = null;
  }
  startButton.disabled = false;
  startButton.textContent = messages.again;
}

// Stores the failure server-side so that the history tells why; the message is already shown.
async function reportBrowserError(code) {
  try {
    const socket = await openSocket();
    socket.addEventListener("message", () => socket.close(), { once: true });
    socket.send(JSON.stringify({ type: "browser_error", error: code }));
    setTimeout(() => socket.close(), 5000);
  } catch {
    // Nothing more to do: the person already reads the reason.
  }
}

async function failInBrowser(code) {
  setStatus("");
  showProblem(messages[code] || messages.unsupported_browser);
  cleanUp();
  if (window.WebSocket) await reportBrowserError(code);
}

async function run() {
  startButton.disabled = true;
  result.replaceChildren();
  if (!supported()) {
    await failInBrowser("unsupported_browser");
    return;
  }
  current = {};
  setStatus(messages.asking);
  const video = { width: { ideal: 640 }, height: { ideal: 480 } };
  let stream;
  let noMicrophone = false;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video, audio: true });
  } catch (error) {
    const code = await browserErrorCode(error);
    if (code !== "no_microphone") {
      await failInBrowser(code);
      return;
    }
    // No microphone at all: measure the camera and connection anyway, and let the server
    // judge (an interview in LSF can do without sound).
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video });
      noMicrophone = true;
    } catch (videoError) {
      await failInBrowser(await browserErrorCode(videoError));
      return;
    }
  }
  current.stream = stream;
  preview.srcObject = stream;
  preview.hidden = false;
  setStatus(messages.connecting);
  const pc = new RTCPeerConnection({ iceServers: config.iceServers });
  current.pc = pc;
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  answerProbe(pc.createDataChannel("probe"));
  await pc.setLocalDescription(await pc.createOffer());
  await gatheringDone(pc, 2000);
  let socket;
  try {
    socket = await openSocket();
  } catch {
    setStatus("");
    showProblem(messages.lost);
    cleanUp();
    return;
  }
  current.socket = socket;
  current.timer = setTimeout(() => {
    setStatus("");
    showProblem(messages.timeout);
    cleanUp();
  }, config.timeoutSeconds * 1000);
  let finished = false;
  socket.addEventListener("close", () => {
    if (!finished && current) {
      setStatus("");
      showProblem(messages.lost);
      cleanUp();
    }
  });
  socket.addEventListener("message", async (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "answer") {
      await pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
    } else if (message.type === "progress") {
      setStatus(messages.measuring);
    } else if (message.type === "verdict") {
      finished = true;
      setStatus("");
      showVerdict(message);
      cleanUp();
    } else if (message.type === "error") {
      finished = true;
      setStatus("");
      showProblem(message.detail);
      cleanUp();
    }
  });
  socket.send(
    JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp, no_microphone: noMicrophone }),
  );
}

startButton.addEventListener("click", () => {
  if (current) return;
  run().catch(() => {
    setStatus("");
    showProblem(messages.lost);
    cleanUp();
  });
});
