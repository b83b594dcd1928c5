// Starts Swagger UI on the app's OpenAPI document and links the model list in the header to
// the model sections Swagger UI renders. Everything this page loads comes from the same server.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("lbpy-explorer-config").textContent);

  var ui = SwaggerUIBundle({
    url: config.url,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    // no badge calling validator.swagger.io, and no ?url= loading another document
    validatorUrl: null,
    queryConfigEnabled: false,
    docExpansion: "list",
    filter: true,
    displayOperationId: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    defaultModelExpandDepth: 2,
    showCommonExtensions: true,
    syntaxHighlight: { activated: true, theme: "agate" }
  });
  window.ui = ui;

  function showModel(tag) {
    ui.layoutActions.show(["operations-tag", tag], true);
    var section = document.getElementById("operations-tag-" + tag);
    if (section) {
      section.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  }

  var links = document.querySelectorAll(".lbpy-model");
  Array.prototype.forEach.call(links, function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var tag = link.getAttribute("data-tag");
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", "#/" + encodeURIComponent(tag));
      }
      showModel(tag);
    });
  });
})();
