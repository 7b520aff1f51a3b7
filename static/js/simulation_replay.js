// The replay page: a feedback's time stamp seeks its answer's video; while the advisor writes
// feedback, the moment field follows the video's current time.

document.querySelectorAll("[data-seek]").forEach((button) => {
  button.addEventListener("click", () => {
    const video = document.getElementById(button.dataset.video);
    if (!video) return;
    video.currentTime = Number(button.dataset.seek);
    video.play();
  });
});

document.querySelectorAll("[data-time-of]").forEach((input) => {
  const video = document.getElementById(input.dataset.timeOf);
  if (!video) return;
  video.addEventListener("pause", () => { input.value = video.currentTime.toFixed(1); });
});
