const params = new URLSearchParams(location.search);
const message = params.get("msg");
document.getElementById("out")!.innerHTML = message ?? ""; // expect: xss
