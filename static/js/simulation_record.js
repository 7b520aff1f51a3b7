// One question of an interview simulation: a preparation countdown, then the webcam answer is
// sent over WebRTC to the server, which records it; the server is told to stop when the answer
// time is over (or the seeker stops early). Signalling is two HTTP posts: the offer, the stop.

const root = document.getElementById("simulation");
const labels = document.getElementById("sim-labels").dataset;
const status = document.getElementById("sim-status");
const countdown = document.getElementById("sim-countdown");
const preview = document.getElementById("sim-preview");
const replay = document.getElementById("sim-replay");
const startButton = document.getElementById("sim-start");
const stopButton = document.getElementById("sim-stop");

const prepSeconds = Number(root.dataset.prepSeconds);
const answerSeconds = Number(root.dataset.answerSeconds);
const iceServers = JSON.parse(root.dataset.iceServers || "[]");

let stream = null;
let pc = null;
let token = null;
let stopRequested = null;

function post(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
    body: JSON.stringify(body),
  }).then(async (response) => {
    const data = await response.json();
    if (!response.ok) throw new Error(data.detail || response.statusText);
    data.httpStatus = response.status;
    return data;
  });
}

async function stopTake(url, body) {
  // 202: the take is still being saved (or runs in another server process): ask again.
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const take = await post(url, body);
    if (take.httpStatus !== 202) return take;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return { status: "failed" };
}

function tick(seconds, label) {
  // Resolves after `seconds`, or at once when the seeker presses stop.
  return new Promise((resolve) => {
    let left = seconds;
    countdown.textContent = `${label} : ${left} s`;
    const timer = setInterval(() => {
      left -= 1;
      countdown.textContent = `${label} : ${Math.max(left, 0)} s`;
      if (left <= 0) { clearInterval(timer); resolve(); }
    }, 1000);
    stopRequested = () => { clearInterval(timer); resolve(); };
  });
}

function gathered(connection) {
  if (connection.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (connection.iceGatheringState === "complete") {
        connection.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    connection.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 3000); // record with the candidates found so far
  });
}

function connected(connection) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (connection.connectionState === "connected") resolve();
      else if (["failed", "closed"].includes(connection.connectionState)) reject(new Error("failed"));
    };
    connection.addEventListener("connectionstatechange", check);
    setTimeout(() => reject(new Error("timeout")), 15000);
    check();
  });
}

function release() {
  if (pc) { pc.close(); pc = null; }
}

async function run() {
  startButton.disabled = true;
  replay.pause();
  try {
    if (!stream) {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
      preview.srcObject = stream;
    }
  } catch (error) {
    status.textContent = labels.denied;
    startButton.disabled = false;
    return;
  }
  status.textContent = labels.preparing;
  stopButton.disabled = false;
  await tick(prepSeconds, labels.preparing);
  try {
    pc = new RTCPeerConnection({ iceServers });
    stream.getTracks().forEach((track) => pc.addTrack(track, stream));
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const answer = await post(root.dataset.offerUrl, { sdp: pc.localDescription.sdp });
    token = answer.token;
    await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    await connected(pc);
    status.textContent = labels.recording;
    root.dataset.state = "recording";
    await tick(answerSeconds, labels.recording);
    stopButton.disabled = true;
    status.textContent = labels.saving;
    const take = await stopTake(root.dataset.stopUrl, { token });
    release();
    if (take.status === "ready") {
      status.textContent = labels.saved;
      replay.src = `${take.media_url}?t=${Date.now()}`;
      startButton.textContent = labels.redo;
      root.dataset.state = "saved";
    } else {
      status.textContent = labels.failed;
      root.dataset.state = "failed";
    }
  } catch (error) {
    console.warn("simulation take failed:", error.message);
    release();
    status.textContent = labels.failed;
    root.dataset.state = "failed";
  } finally {
    countdown.textContent = "";
    stopButton.disabled = true;
    startButton.disabled = false;
  }
}

startButton.addEventListener("click", run);
stopButton.addEventListener("click", () => { if (stopRequested) stopRequested(); });
window.addEventListener("pagehide", release);
