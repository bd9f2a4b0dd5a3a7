-- miltertest -D file=MAIL -D dmarc=inet:PORT@127.0.0.1 -s dmarc.lua
-- Passes the headers of MAIL (the receiving server's earlier results
-- among them) through a real OpenDMARC milter, as an MTA would; prints
-- the Authentication-Results it wrote, as a header line.
local f = assert(io.open(file, "rb"))
local text = f:read("*a")
f:close()
local head = text:match("^(.-)\r?\n\r?\n")
local conn = mt.connect(dmarc, 20, 0.1)
if conn == nil then error("cannot connect to " .. dmarc) end
mt.conninfo(conn, "mail.example", "127.0.0.2")
mt.mailfrom(conn, "<sender@mail.example>")
mt.rcptto(conn, "<tpe@centers.moj-help.example>")
local name, value
for line in (head .. "\n"):gmatch("(.-)\r?\n") do
	if line:match("^[ \t]") and name ~= nil then
		value = value .. "\r\n" .. line
	else
		if name ~= nil then mt.header(conn, name, value) end
		name, value = line:match("^([^:]+):[ \t]*(.*)$")
	end
end
if name ~= nil then mt.header(conn, name, value) end
mt.eoh(conn)
mt.eom(conn)
local ar = mt.getheader(conn, "Authentication-Results", 0)
mt.disconnect(conn)
if ar == nil then error("OpenDMARC wrote no Authentication-Results") end
print("Authentication-Results: " .. ar)
