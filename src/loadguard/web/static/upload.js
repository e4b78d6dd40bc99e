// Upload with a progress bar (XMLHttpRequest reports upload progress; fetch does not).
// Without JavaScript the form posts as usual.
(function () {
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest) { return; }
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round(100 * e.loaded / e.total);
        status.textContent = bar.value + " %";
      }
    });
    xhr.addEventListener("load", function () {
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () { status.textContent = form.dataset.failed; });
    xhr.send(new FormData(form));
  });
})();
