/* Chat page helpers for answers: rating (👍/👎, 1-5), copy, and the remaining budget.
 *
 * Loaded before chat.js (window.Kakehashi). A copy is recorded as an accepted answer for the
 * KPIs (POST /api/feedback/{id}/copied); the budget is GET /api/quota, shown for the person
 * and the department, with a warning when little is left.
 */
(function (K) {
  "use strict";

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  /* POST with a brief retry on 404: the answer's audit record is written just after its stream
   * ends. Returns the response, or null on a network error. */
  async function postOwn(url, payload) {
    for (var attempt = 0; attempt < 6; attempt++) {
      var response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: K.headers("application/json"),
          credentials: "same-origin",
          body: payload === undefined ? undefined : JSON.stringify(payload)
        });
      } catch (err) {
        return null;
      }
      if (response.status !== 404 || attempt === 5) {
        return response;
      }
      await sleep(300);
    }
    return null;
  }

  /* 👍/👎 post at once; the rest of the form is sent with 評価を送る (each post replaces). */
  K.feedbackForm = function (template, requestId) {
    var node = template.content.firstElementChild.cloneNode(true);
    var status = node.querySelector(".feedback-status");
    var thumbs = node.querySelectorAll(".thumb");
    var helpful = null;

    async function post() {
      var rating = node.elements.rating.value;
      var minutes = node.elements.minutes_saved.value;
      var reason = node.elements.reason.value.trim();
      if (helpful === null && !rating) {
        status.textContent = "👍/👎 か評価 (1〜5) を選んでください。";
        return;
      }
      var payload = { request_id: requestId };
      if (helpful !== null) { payload.helpful = helpful; }
      if (rating) { payload.rating = Number(rating); }
      if (reason) { payload.reason = reason; }
      if (minutes !== "") { payload.minutes_saved = Number(minutes); }
      status.textContent = "保存中…";
      var response = await postOwn("/api/feedback", payload);
      if (response === null) {
        status.textContent = "保存できませんでした (ネットワーク)。もう一度お試しください。";
      } else if (response.ok) {
        status.textContent = "評価を保存しました。ありがとうございます。";
        node.setAttribute("data-saved", "true");
      } else {
        status.textContent = await K.errorText(response);
      }
    }

    Array.prototype.forEach.call(thumbs, function (button) {
      button.addEventListener("click", function () {
        helpful = button.getAttribute("data-helpful") === "true";
        Array.prototype.forEach.call(thumbs, function (other) {
          other.setAttribute("aria-pressed", String(other === button));
        });
        post();
      });
    });
    node.addEventListener("submit", function (event) {
      event.preventDefault();
      post();
    });
    return node;
  };

  async function toClipboard(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (err) {
        /* denied: fall back to a selection */
      }
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var done = document.execCommand("copy");
    document.body.removeChild(area);
    return done;
  }

  /* コピー: the answer as text; counted as accepted when it has a request id. */
  K.copyButton = function (getText, requestId, status) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small copy";
    button.textContent = "コピー";
    button.addEventListener("click", async function () {
      var copied = await toClipboard(getText());
      status.textContent = copied ? "コピーしました。" : "コピーできませんでした。文章を選択してコピーしてください。";
      if (copied && requestId) {
        button.setAttribute("data-copied", "true");
        await postOwn("/api/feedback/" + encodeURIComponent(requestId) + "/copied");
      }
    });
    return button;
  };

  var WINDOWS = { day: "今日", month: "今月" };

  function amount(bucket) {
    var value = Math.max(0, bucket.remaining);
    return bucket.unit === "yen"
      ? "¥" + Math.floor(value).toLocaleString("ja-JP")
      : Math.floor(value).toLocaleString("ja-JP") + " トークン";
  }

  function describe(who, buckets) {
    var limited = buckets.filter(function (b) { return b.limit !== null && b.remaining !== null; });
    var yen = limited.filter(function (b) { return b.unit === "yen"; });
    var shown = yen.length ? yen : limited;
    if (!shown.length) {
      return { text: who + ": 上限なし", low: false };
    }
    var low = false;
    var parts = shown.map(function (b) {
      if (b.remaining <= b.limit * 0.2) { low = true; }
      return (WINDOWS[b.window] || b.window) + " " + amount(b);
    });
    return { text: who + ": " + parts.join(" / "), low: low };
  }

  /* 残りの予算: the person's and the department's buckets (GET /api/quota). */
  K.budget = async function (node) {
    try {
      var response = await fetch("/api/quota", { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) {
        return;
      }
      var data = await response.json();
      var mine = describe("あなた", data.user || []);
      var dept = describe(data.department, data.department_buckets || []);
      node.textContent = "残りの予算 — " + mine.text + " · " + dept.text;
      var low = mine.low || dept.low;
      node.classList.toggle("budget-low", low);
      if (low) {
        node.textContent += " (残りわずかです)";
      }
    } catch (err) {
      /* the budget line is informative only */
    }
  };
})(window.Kakehashi = window.Kakehashi || {});
