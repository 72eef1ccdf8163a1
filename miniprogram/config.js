// The one place that names the site: its HTTPS origin, a request legal domain (request合法域名) of this
// mini program. No path, no trailing slash, no port unless the console lists one.
module.exports = { apiOrigin: "https://login.example.com" };
