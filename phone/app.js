// The phone status page: reads its token from the URL, long-polls
// /t/status/{token} and shows the ticket's state; when it is called it says
// so, vibrates and beeps where the phone allows.
const token = location.pathname.split("/").filter(Boolean)[1] || "";
const $ = (id) => document.getElementById(id);

let seq = 0;
let wasCalled = false;

function render(st) {
  $("number").textContent = st.number;
  $("line").textContent = st.line_name;
  const card = document.querySelector(".card");
  card.classList.toggle("turn", st.status === "called");
  switch (st.status) {
    case "waiting":
      $("state").textContent = "Bitte warten Sie.";
      $("ahead").textContent = st.ahead === undefined ? "" : `Vor Ihnen: ${st.ahead}`;
      $("estimate").textContent = st.estimate ? `Geschätzte Wartezeit: ${st.estimate.min}–${st.estimate.max} Min.` : "";
      break;
    case "called":
      $("state").textContent = `Sie sind dran: ${st.desk}`;
      $("ahead").textContent = "";
      $("estimate").textContent = "";
      if (!wasCalled) alertVisitor();
      break;
    default:
      $("state").textContent = "Diese Nummer ist abgeschlossen.";
      $("ahead").textContent = "";
      $("estimate").textContent = "";
  }
  wasCalled = st.status === "called";
}

function alertVisitor() {
  if (navigator.vibrate) navigator.vibrate([300, 150, 300, 150, 600]);
  try {
    const ctx = new AudioContext();
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = 880;
    g.gain.setValueAtTime(0.3, ctx.currentTime);
    g.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 1.2);
    o.connect(g).connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + 1.2);
  } catch { /* no sound without a tap first; the screen and vibration remain */ }
}

async function poll() {
  let wait = 1000;
  for (;;) {
    try {
      const res = await fetch(`/t/status/${encodeURIComponent(token)}${seq ? `?after=${seq}` : ""}`, { cache: "no-store", credentials: "omit" });
      if (res.status === 404 || res.status === 410) {
        $("state").textContent = "Dieser Link gilt nicht mehr.";
        $("number").textContent = "–";
        return;
      }
      if (!res.ok) throw new Error(String(res.status));
      const st = await res.json();
      seq = st.seq;
      render(st);
      wait = 1000;
    } catch {
      $("note").textContent = "Keine Verbindung – wir versuchen es weiter.";
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 30000);
    }
  }
}

poll();
