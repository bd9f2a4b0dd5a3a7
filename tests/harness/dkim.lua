-- miltertest -D file=MAIL [-D signer=inet:PORT@127.0.0.1] [-D tamper=1]
--            -D verifier=inet:PORT@127.0.0.1 -s dkim.lua
-- Passes MAIL (headers, a blank line, the body) through real OpenDKIM
-- milters as an MTA would: signed by the signer if one is given (the
-- sender's server), then verified (the receiving server); prints the
-- DKIM-Signature and the Authentication-Results the verifier wrote, as
-- header lines.  With tamper, the body changes between the two.
local f = assert(io.open(file, "rb"))
local text = f:read("*a")
f:close()
local head, body = text:match("^(.-)\r?\n\r?\n(.*)$")
local headers = {}
for line in (head .. "\n"):gmatch("(.-)\r?\n") do
	if line:match("^[ \t]") and #headers > 0 then
		headers[#headers].value = headers[#headers].value .. "\r\n" .. line
	else
		local n, v = line:match("^([^:]+):[ \t]*(.*)$")
		if n then headers[#headers + 1] = { name = n, value = v } end
	end
end
body = body:gsub("\r?\n", "\r\n")

local function pass(sock, host, ip, extra)
	local conn = mt.connect(sock, 20, 0.1)
	if conn == nil then error("cannot connect to " .. sock) end
	mt.conninfo(conn, host, ip)
	mt.mailfrom(conn, "<sender@" .. host .. ">")
	mt.rcptto(conn, "<tpe@centers.moj-help.example>")
	for _, h in ipairs(extra) do mt.header(conn, h.name, h.value) end
	for _, h in ipairs(headers) do mt.header(conn, h.name, h.value) end
	mt.eoh(conn)
	mt.bodystring(conn, body)
	mt.eom(conn)
	return conn
end

local extra = {}
if signer ~= nil then
	local c = pass(signer, "localhost", "127.0.0.1", {})
	local sig = mt.getheader(c, "DKIM-Signature", 0)
	mt.disconnect(c)
	if sig == nil then error("the signer did not sign") end
	extra[1] = { name = "DKIM-Signature", value = sig }
	print("DKIM-Signature:" .. sig)
end
if tamper ~= nil then body = body .. "#close 4\r\n" end
local v = pass(verifier, "mail.example", "127.0.0.2", extra)
local ar = mt.getheader(v, "Authentication-Results", 0)
mt.disconnect(v)
if ar == nil then error("the verifier wrote no Authentication-Results") end
print("Authentication-Results:" .. ar)
