// The waiting room and the call of a webcam interview: signalling over the portal's websocket,
// a peer-to-peer RTCPeerConnection, the controls, and the fallback ladder. The advisor makes the
// offer once the seeker, admitted, says they are ready. What the page sees (media flowing, ICE
// failure, no media) is reported to the server, which writes it on the appointment.

const config = JSON.parse(document.getElementById("interview-config").textContent);
const strings = JSON.parse(document.getElementById("interview-strings").textContent);
const byId = (id) => document.getElementById(id);
const isAdvisor = config.role === "advisor";

const call = {
  ws: null,
  pc: null,
  localStream: null,
  iceServers: [],
  iceTransportPolicy: "all",
  peerHere: false,
  admitted: false,
  audioOnly: false,
  pendingCandidates: [],
  reported: new Set(),
  mediaTimer: null,
  statsTimer: null,
  screenTrack: null,
  ended: false,
  welcomeAt: null, // Date.now() marks, read by the benchmark
  flowingAt: null,
  firstFrameAt: null,
  mediaDenied: false,
  admitAt: null,
};
window.interviewCall = call; // for the browser tests and the curious

// Layout through the CSSOM: the portal's Content-Security-Policy allows no inline style.
function layout() {
  const stage = byId("stage");
  const enlarged = stage.classList.contains("interview-enlarged");
  Object.assign(stage.style, {
    display: "grid",
    gap: "1rem",
    gridTemplateColumns: enlarged ? "4fr 1fr" : "2fr 1fr",
  });
  for (const video of stage.querySelectorAll("video")) {
    Object.assign(video.style, { width: "100%", background: "#161616", borderRadius: "4px" });
  }
  Object.assign(stage.querySelector(".interview-side").style, {
    display: "flex",
    flexDirection: "column",
    gap: "1rem",
  });
}

function setStatus(text) {
  byId("call-status").textContent = text;
}

function send(message) {
  if (call.ws && call.ws.readyState === WebSocket.OPEN) {
    call.ws.send(JSON.stringify(message));
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// Each report once; over the websocket when it is open, otherwise over HTTP. The body's
// data-report_<kind> attribute says it has left (tests wait on it).
function report(kind) {
  if (call.reported.has(kind)) return;
  call.reported.add(kind);
  const sent = () => {
    document.body.dataset[`report_${kind}`] = "1";
  };
  if (call.ws && call.ws.readyState === WebSocket.OPEN) {
    send({ type: "report", report: kind });
    sent();
  } else {
    fetch(config.reportUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ report: kind }),
      credentials: "same-origin",
    })
      .then(sent)
      .catch(() => {});
  }
}

async function startLocalMedia() {
  try {
    call.localStream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: call.audioOnly ? false : { width: 640, height: 480 },
    });
    byId("local-video").srcObject = call.localStream;
  } catch (error) {
    call.mediaDenied = true;
    setStatus(strings.mediaDenied);
    report("media_denied");
    call.localStream = new MediaStream();
  }
}

// The waiting room's short re-check: frames from the camera, sound from the microphone.
function recheckEquipment() {
  const camera = byId("recheck-camera");
  const microphone = byId("recheck-microphone");
  if (!camera || !microphone || !call.localStream) return;
  const video = byId("local-video");
  if (!call.localStream.getVideoTracks().length) {
    camera.textContent = strings.recheckFailed;
  } else if ("requestVideoFrameCallback" in video) {
    video.requestVideoFrameCallback(() => {
      camera.textContent = strings.recheckCameraOk;
    });
  }
  const [track] = call.localStream.getAudioTracks();
  if (!track) {
    microphone.textContent = strings.recheckFailed;
    return;
  }
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const started = Date.now();
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    const peak = samples.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
    if (peak > 0.01) {
      microphone.textContent = strings.recheckMicrophoneOk;
    } else if (Date.now() - started < 10000) {
      return;
    } else {
      microphone.textContent = strings.recheckSilent;
    }
    clearInterval(timer);
    context.close();
  }, 200);
}

function showPresence(role, state) {
  if (role === config.role) return;
  call.peerHere = state === "here";
  if (isAdvisor) {
    byId("seeker-ready").textContent = call.peerHere
      ? strings.seekerHere
      : state === "left"
        ? strings.seekerLeft
        : strings.seekerAbsent;
    byId("admit").disabled = !call.peerHere;
    // A seeker who reloads the page after being admitted is let in again.
    if (call.peerHere && call.admitted) send({ type: "admit" });
  } else {
    byId("advisor-ready").textContent = call.peerHere
      ? strings.advisorHere
      : state === "left"
        ? strings.advisorLeft
        : strings.advisorAbsent;
    if (state === "left" && call.pc) closePeer();
  }
}

function closePeer() {
  clearTimeout(call.mediaTimer);
  clearInterval(call.statsTimer);
  if (call.pc) {
    call.pc.onicecandidate = null;
    call.pc.ontrack = null;
    call.pc.oniceconnectionstatechange = null;
    call.pc.close();
  }
  call.pc = null;
  call.pendingCandidates = [];
}

function newPeer() {
  closePeer();
  const pc = new RTCPeerConnection({
    iceServers: call.iceServers,
    iceTransportPolicy: call.iceTransportPolicy,
  });
  call.pc = pc;
  for (const track of call.localStream.getTracks()) {
    if (call.audioOnly && track.kind === "video") continue;
    pc.addTrack(track, call.localStream);
  }
  if (!call.localStream.getVideoTracks().length && !call.audioOnly) {
    pc.addTransceiver("video", { direction: "recvonly" });
  }
  pc.onicecandidate = (event) => {
    if (event.candidate) send({ type: "ice", candidate: event.candidate.toJSON() });
  };
  pc.ontrack = (event) => {
    const video = byId("remote-video");
    if (!video.srcObject) video.srcObject = new MediaStream();
    video.srcObject.addTrack(event.track);
    // The first frame shown is the earliest sign that video flows; getStats confirms it.
    if (event.track.kind === "video" && "requestVideoFrameCallback" in video) {
      video.requestVideoFrameCallback(() => {
        if (call.pc === pc) call.firstFrameAt = Date.now();
      });
    }
  };
  pc.oniceconnectionstatechange = () => {
    if (pc.iceConnectionState === "failed") {
      setStatus(strings.iceFailed);
      report("ice_failed");
      byId("fallback").scrollIntoView({ block: "nearest" });
    }
  };
  watchMedia(pc);
  return pc;
}

// Media flowing = frames decoded (or, audio only, audio bytes received). Without it within the
// delay, the page reports "no_media" and points at the fallback ladder.
function watchMedia(pc) {
  call.mediaTimer = setTimeout(() => {
    if (!call.reported.has("media_flowing") && call.pc === pc) {
      setStatus(strings.noMedia);
      report("no_media");
    }
  }, config.mediaTimeoutSeconds * 1000);
  call.statsTimer = setInterval(async () => {
    if (call.pc !== pc) return;
    const stats = await pc.getStats();
    let flowing = false;
    stats.forEach((entry) => {
      if (entry.type !== "inbound-rtp") return;
      if (entry.kind === "video" && entry.framesDecoded > 0) flowing = true;
      if (call.audioOnly && entry.kind === "audio" && entry.bytesReceived > 0) flowing = true;
    });
    if (flowing) {
      call.flowingAt = call.flowingAt || Date.now();
      clearInterval(call.statsTimer);
      clearTimeout(call.mediaTimer);
      setStatus(strings.connected);
      document.body.dataset.mediaFlowing = "1";
      report("media_flowing");
    }
  }, 200);
}

async function makeOffer() {
  const pc = newPeer();
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  send({ type: "offer", sdp: pc.localDescription.sdp });
  setStatus(strings.connecting);
}

async function acceptOffer(sdp) {
  const pc = newPeer();
  await pc.setRemoteDescription({ type: "offer", sdp });
  await flushCandidates();
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  send({ type: "answer", sdp: pc.localDescription.sdp });
  setStatus(strings.connecting);
}

async function flushCandidates() {
  const queued = call.pendingCandidates;
  call.pendingCandidates = [];
  for (const candidate of queued) {
    await call.pc.addIceCandidate(candidate).catch(() => {});
  }
}

async function addCandidate(candidate) {
  if (!call.pc || !call.pc.remoteDescription) {
    call.pendingCandidates.push(candidate);
    return;
  }
  await call.pc.addIceCandidate(candidate).catch(() => {});
}

function applyFallback(level) {
  const status = byId("fallback-status");
  if (level === "audio") {
    status.textContent = strings.fallbackAudio;
    call.audioOnly = true;
    for (const track of call.localStream.getVideoTracks()) track.stop();
    if (isAdvisor) makeOffer();
  } else if (level === "chat") {
    status.textContent = strings.fallbackChat;
    const panel = byId("chat-panel");
    panel.scrollIntoView({ block: "nearest" });
    const link = panel.querySelector("a, textarea, input");
    if (link) link.focus();
  } else if (level === "phone") {
    status.textContent = isAdvisor
      ? `${strings.fallbackPhoneAdvisor} ${config.seekerPhone || "—"}`
      : strings.fallbackPhone;
  }
}

function endCall(text) {
  call.ended = true;
  closePeer();
  for (const track of call.localStream ? call.localStream.getTracks() : []) track.stop();
  if (call.screenTrack) call.screenTrack.stop();
  setStatus(text);
}

const handlers = {
  welcome(message) {
    call.welcomeAt = Date.now();
    call.iceServers = message.iceServers;
    call.iceTransportPolicy = message.iceTransportPolicy;
    setStatus(call.mediaDenied ? strings.mediaDenied : strings.waiting);
  },
  presence(message) {
    showPresence(message.role, message.state);
  },
  admit() {
    if (isAdvisor) return;
    call.admitted = true;
    send({ type: "join" });
    setStatus(strings.connecting);
  },
  join() {
    if (isAdvisor) makeOffer();
  },
  offer(message) {
    if (!isAdvisor) acceptOffer(message.sdp);
  },
  async answer(message) {
    if (isAdvisor && call.pc) {
      await call.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
      await flushCandidates();
    }
  },
  ice(message) {
    addCandidate(message.candidate);
  },
  hangup() {
    endCall(strings.peerHungUp);
  },
  fallback(message) {
    applyFallback(message.level);
  },
  error(message) {
    if (message.code === "window_closed") setStatus(strings.windowClosed);
    if (message.code === "replaced") endCall(strings.replaced);
    console.warn("signalling error", message.code, message.detail);
  },
};

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}${config.wsPath}`);
  call.ws = ws;
  let opened = false;
  ws.onopen = () => {
    opened = true;
  };
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    const handler = handlers[message.type];
    if (handler) handler(message);
  };
  ws.onclose = () => {
    if (!opened && !call.ended) {
      setStatus(strings.signallingFailed);
      report("signalling_failed");
    }
  };
}

function toggle(button, pressed, onText, offText) {
  button.setAttribute("aria-pressed", String(pressed));
  button.textContent = pressed ? onText : offText;
}

function wireControls() {
  byId("mute").addEventListener("click", (event) => {
    const muted = event.currentTarget.getAttribute("aria-pressed") !== "true";
    for (const track of call.localStream.getAudioTracks()) track.enabled = !muted;
    toggle(event.currentTarget, muted, strings.unmute, strings.mute);
  });
  byId("camera").addEventListener("click", (event) => {
    const off = event.currentTarget.getAttribute("aria-pressed") !== "true";
    for (const track of call.localStream.getVideoTracks()) track.enabled = !off;
    toggle(event.currentTarget, off, strings.cameraOn, strings.cameraOff);
  });
  byId("share").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const sender = call.pc && call.pc.getSenders().find((s) => s.track && s.track.kind === "video");
    if (!sender) return;
    const camera = call.localStream.getVideoTracks()[0];
    if (call.screenTrack) {
      call.screenTrack.stop();
      call.screenTrack = null;
      await sender.replaceTrack(camera);
      toggle(button, false, strings.stopShare, strings.share);
      return;
    }
    try {
      const screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
      call.screenTrack = screen.getVideoTracks()[0];
      await sender.replaceTrack(call.screenTrack);
      toggle(button, true, strings.stopShare, strings.share);
      call.screenTrack.onended = async () => {
        call.screenTrack = null;
        await sender.replaceTrack(camera);
        toggle(button, false, strings.stopShare, strings.share);
      };
    } catch (error) {
      console.warn("screen sharing refused", error);
    }
  });
  byId("enlarge").addEventListener("click", (event) => {
    const enlarged = byId("stage").classList.toggle("interview-enlarged");
    event.currentTarget.setAttribute("aria-pressed", String(enlarged));
    layout();
  });
  byId("hangup").addEventListener("click", () => {
    send({ type: "hangup" });
    endCall(strings.ended);
  });
  for (const button of document.querySelectorAll("[data-fallback]")) {
    button.addEventListener("click", () => send({ type: "fallback", level: button.dataset.fallback }));
  }
  if (isAdvisor) {
    byId("admit").addEventListener("click", () => {
      call.admitAt = Date.now();
      call.admitted = true;
      send({ type: "admit" });
      setStatus(strings.connecting);
    });
  }
}

layout();
wireControls();
await startLocalMedia();
recheckEquipment();
connect();
