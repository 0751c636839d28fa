/* "Listen": reads the activity's text aloud with the phone's own speech voice (the Web Speech
   API's speechSynthesis: nothing is downloaded). Spanish prefers a Chilean voice (es-CL), then
   any Spanish one; English any English one. The button stays hidden unless the browser can
   speak, so without JavaScript or without speech nothing broken shows. */
(function () {
  "use strict";
  var button = document.getElementById("listen");
  var synth = window.speechSynthesis;
  if (!button || !synth || typeof window.SpeechSynthesisUtterance !== "function") {
    return;
  }
  var source = document.getElementById(button.getAttribute("data-text"));
  if (!source) {
    return;
  }
  var lang = button.getAttribute("data-lang") === "en" ? "en" : "es";
  var listenLabel = button.textContent;
  var stopLabel = button.getAttribute("data-stop");
  var speaking = false;

  function normal(tag) {
    return String(tag || "").replace("_", "-").toLowerCase();
  }

  function chooseVoice() {
    var voices = synth.getVoices ? synth.getVoices() || [] : [];
    var wanted = lang === "es" ? ["es-cl", "es-"] : ["en-"];
    for (var w = 0; w < wanted.length; w += 1) {
      for (var i = 0; i < voices.length; i += 1) {
        var tag = normal(voices[i].lang);
        if (tag === wanted[w] || tag.indexOf(wanted[w]) === 0 || tag + "-" === wanted[w]) {
          return voices[i];
        }
      }
    }
    return null;
  }

  /* One utterance per heading, paragraph or list item: long utterances stop half-way on some
     phones, and a queue of short ones does not. */
  function pieces() {
    var blocks = source.querySelectorAll("h2, h3, h4, p, li, blockquote, td, th");
    var texts = [];
    Array.prototype.forEach.call(blocks.length ? blocks : [source], function (block) {
      if (block.tagName === "P" && block.closest("li, blockquote")) {
        return;
      }
      var text = (block.innerText || block.textContent || "").replace(/\s+/g, " ").trim();
      if (text) {
        texts.push(text);
      }
    });
    return texts;
  }

  function reset() {
    speaking = false;
    button.textContent = listenLabel;
  }

  button.addEventListener("click", function () {
    if (speaking) {
      synth.cancel();
      reset();
      return;
    }
    synth.cancel();
    var voice = chooseVoice();
    var texts = pieces();
    texts.forEach(function (text, index) {
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.lang = voice ? voice.lang : (lang === "es" ? "es-CL" : "en-US");
      if (voice) {
        try {
          utterance.voice = voice;
        } catch (ignored) { /* a voice the browser no longer offers: its language is enough */ }
      }
      if (index === texts.length - 1) {
        utterance.onend = reset;
        utterance.onerror = reset;
      }
      synth.speak(utterance);
    });
    speaking = texts.length > 0;
    if (speaking) {
      button.textContent = stopLabel;
    }
  });
  window.addEventListener("pagehide", function () { synth.cancel(); });
  button.parentNode.hidden = false;
}());
