// Starts Swagger UI on /api/docs (an external file: the content security policy allows
// no inline script). The document's URL comes from the page; nothing is fetched from
// other sites (no validator badge, no remote configuration).
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    validatorUrl: null,
    deepLinking: true,
    persistAuthorization: false,
    withCredentials: true,
  });
});
