// Minimal stand-in for Macromedia Dreamweaver's mm_menu.js: menus written into the page by script.
function Menu(label, width, height) {
  this.label = label; this.items = []; this.actions = []; this.hideOnMouseOut = true;
}
Menu.prototype.addMenuItem = function (label, action) { this.items.push(label); this.actions.push(action); };
Menu.prototype.writeMenus = function () {
  var box = document.getElementById("mm_menus");
  for (var m = 0; m < window.mmMenus.length; m++) {
    var menu = window.mmMenus[m], html = '<div class="mm-menu" style="visibility:hidden">';
    for (var i = 0; i < menu.items.length; i++) {
      html += '<div class="mm-item" onclick="' + menu.actions[i].replace(/"/g, "&quot;") + '">' + menu.items[i] + '</div>';
    }
    box.innerHTML += html + '</div>';
  }
};
function MM_showMenu(menu) { }
function MM_startTimeout() { }
